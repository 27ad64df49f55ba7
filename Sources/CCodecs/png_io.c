#include <stdlib.h>
#include <string.h>
#include "png_io.h"

void cc_png_error(png_structp png, png_const_charp message) {
    cc_status *status = (cc_status *)png_get_error_ptr(png);
    cc_fail(status, CC_CORRUPT, message);
    png_longjmp(png, 1);
}

void cc_png_warning(png_structp png, png_const_charp message) {
    cc_warn((cc_status *)png_get_error_ptr(png), message);
}

void cc_png_read(png_structp png, png_bytep out, size_t length) {
    cc_png_source *source = (cc_png_source *)png_get_io_ptr(png);
    if (length > source->size - source->offset) {
        cc_defect_note((cc_status *)png_get_error_ptr(png), CC_DEFECT_TRUNCATED, "unexpected end of PNG data");
        png_error(png, "unexpected end of PNG data");
    }
    if (length > source->budget) {
        // Only the zlib stream's end may follow the last row; libpng would inflate whatever else comes (a few
        // kilobytes of deflated zeros inflate to gigabytes) just to discard it.
        png_error(png, "PNG image data goes on after the last row of the image (it inflates past the header's size)");
    }
    if (source->budget != SIZE_MAX) source->budget -= length;
    memcpy(out, source->data + source->offset, length);
    source->offset += length;
}

void cc_png_write(png_structp png, png_bytep data, size_t length) {
    cc_png_sink *sink = (cc_png_sink *)png_get_io_ptr(png);
    if (length > SIZE_MAX - sink->size) png_error(png, "PNG output too large");
    size_t needed = sink->size + length;
    if (needed > sink->capacity) {
        size_t capacity = sink->capacity ? sink->capacity : 4096;
        while (capacity < needed) capacity = capacity > SIZE_MAX / 2 ? needed : capacity * 2;
        uint8_t *grown = (uint8_t *)realloc(sink->data, capacity);
        if (grown == NULL) png_error(png, "out of memory");
        sink->data = grown;
        sink->capacity = capacity;
    }
    memcpy(sink->data + sink->size, data, length);
    sink->size = needed;
}

void cc_png_flush(png_structp png) { (void)png; }
