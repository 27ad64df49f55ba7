// libpng plumbing shared by the PNG reader and writer: errors longjmp back, warnings are
// counted, and data comes from / goes to memory.
#ifndef ARGUS_PNG_IO_H
#define ARGUS_PNG_IO_H

#include <png.h>
#include "cc_status.h"

/// Bounds-checked cursor over the caller's bytes. `budget`: the most bytes libpng may still read (SIZE_MAX: no
/// limit besides the end).
typedef struct cc_png_source {
    const uint8_t *data;
    size_t size;
    size_t offset;
    size_t budget;
} cc_png_source;

/// Growable malloc'ed output buffer.
typedef struct cc_png_sink {
    uint8_t *data;
    size_t size;
    size_t capacity;
} cc_png_sink;

/// png_error_ptr: records the message in the cc_status error pointer and longjmps.
void cc_png_error(png_structp png, png_const_charp message);
/// png_error_ptr for warnings: counts them instead of printing.
void cc_png_warning(png_structp png, png_const_charp message);
/// png_rw_ptr reading from a cc_png_source; running past the end is a libpng error.
void cc_png_read(png_structp png, png_bytep out, size_t length);
/// png_rw_ptr appending to a cc_png_sink.
void cc_png_write(png_structp png, png_bytep data, size_t length);
/// png_flush_ptr (nothing to flush in memory).
void cc_png_flush(png_structp png);

#endif
