#include <stdlib.h>
#include <string.h>
#include "jpeg_error.h"

// Output buffer owned by libjpeg's memory destination; kept in memory (not a register)
// because it is read again after a longjmp.
typedef struct cc_jpeg_sink {
    unsigned char *buffer;
    unsigned long size;
} cc_jpeg_sink;

int cc_jpeg_encode_rgb(const uint8_t *rgb, uint32_t width, uint32_t height, int quality,
                       uint8_t **out, size_t *out_size, cc_status *status) {
    cc_status_reset(status);
    if (out == NULL || out_size == NULL) return cc_fail(status, CC_BAD_ARGUMENT, "no output");
    *out = NULL;
    *out_size = 0;
    if (rgb == NULL || width == 0 || height == 0 || width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION)
        return cc_fail(status, CC_BAD_ARGUMENT, "JPEG dimensions must be 1...65500");
    if (quality < 1 || quality > 100) return cc_fail(status, CC_BAD_ARGUMENT, "JPEG quality must be 1...100");

    struct jpeg_compress_struct cinfo;
    cc_jpeg_error err;
    cc_jpeg_sink sink = {NULL, 0};
    cinfo.err = cc_jpeg_error_init(&err, status);
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(sink.buffer);
        return status->code;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &sink.buffer, &sink.size);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    const size_t stride = (size_t)width * 3;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW rows[1] = {(JSAMPROW)(rgb + (size_t)cinfo.next_scanline * stride)};
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = sink.buffer;
    *out_size = sink.size;
    return CC_OK;
}
