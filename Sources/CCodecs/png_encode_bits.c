#include <stdlib.h>
#include "png_io.h"

// A 1-bit grayscale PNG from one byte per pixel (0 = black, nonzero = white): libpng packs
// the bytes into bits itself (png_set_packing), so the caller needs no bit twiddling.
int cc_png_encode_gray1(const uint8_t *pixels, uint32_t width, uint32_t height, int compression_level,
                        uint8_t **out, size_t *out_size, cc_status *status) {
    cc_status_reset(status);
    if (out == NULL || out_size == NULL) return cc_fail(status, CC_BAD_ARGUMENT, "no output");
    *out = NULL;
    *out_size = 0;
    if (pixels == NULL || width == 0 || height == 0 || width > 0x7fffffffu || height > 0x7fffffffu)
        return cc_fail(status, CC_BAD_ARGUMENT, "PNG dimensions must be positive");
    if (compression_level < 0 || compression_level > 9)
        return cc_fail(status, CC_BAD_ARGUMENT, "PNG compression level must be 0...9");
    uint8_t *row = malloc(width);
    if (row == NULL) return cc_fail(status, CC_NO_MEMORY, "out of memory");

    cc_png_sink sink = {NULL, 0, 0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, status, cc_png_error, cc_png_warning);
    if (png == NULL) {
        free(row);
        return cc_fail(status, CC_NO_MEMORY, "out of memory");
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        free(row);
        return cc_fail(status, CC_NO_MEMORY, "out of memory");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(sink.data);
        free(row);
        return status->code;
    }
    png_set_write_fn(png, &sink, cc_png_write, cc_png_flush);
    png_set_compression_level(png, compression_level);
    png_set_IHDR(png, info, width, height, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_set_packing(png);
    for (uint32_t y = 0; y < height; y++) {
        const uint8_t *src = pixels + (size_t)y * width;
        for (uint32_t x = 0; x < width; x++) row[x] = src[x] != 0;
        png_write_row(png, row);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(row);
    *out = sink.data;
    *out_size = sink.size;
    return CC_OK;
}
