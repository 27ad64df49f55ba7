#include <string.h>
#include "jpeg_error.h"

// Shared setup: a decompressor reading from memory with our error manager and scan limit.
static void cc_jpeg_begin(j_decompress_ptr cinfo, struct jpeg_progress_mgr *progress,
                          const uint8_t *data, size_t size) {
    jpeg_create_decompress(cinfo);
    // libjpeg-turbo's memory source inserts a fake EOI at the end of data (with a
    // "Premature end of JPEG file" warning), exactly like the stdio source cv2.imread uses.
    jpeg_mem_src(cinfo, data, (unsigned long)size);
    memset(progress, 0, sizeof(*progress));
    progress->progress_monitor = cc_jpeg_progress_monitor;
    cinfo->progress = progress;
}

int cc_jpeg_read_info(const uint8_t *data, size_t size, cc_image_info *info, cc_status *status) {
    cc_status_reset(status);
    if (data == NULL || size == 0 || info == NULL) return cc_fail(status, CC_BAD_ARGUMENT, "empty input");
    memset(info, 0, sizeof(*info));
    struct jpeg_decompress_struct cinfo;
    struct jpeg_progress_mgr progress;
    cc_jpeg_error err;
    cinfo.err = cc_jpeg_error_init(&err, status);
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return status->code;
    }
    cc_jpeg_begin(&cinfo, &progress, data, size);
    jpeg_read_header(&cinfo, TRUE);
    info->width = cinfo.image_width;
    info->height = cinfo.image_height;
    info->components = cinfo.num_components;
    info->color_space = (int)cinfo.jpeg_color_space;
    info->bit_depth = cinfo.data_precision;
    info->progressive = cinfo.progressive_mode ? 1 : 0;
    info->interlaced = 0;
    jpeg_destroy_decompress(&cinfo);
    return CC_OK;
}

// cv2's CMYK -> RGB (icvCvt_CMYK2BGR_8u_C4C3R): libjpeg hands out Adobe-inverted CMYK.
static void cc_cmyk_row_to_rgb(const JSAMPLE *cmyk, uint8_t *rgb, JDIMENSION width) {
    for (JDIMENSION x = 0; x < width; x++, cmyk += 4, rgb += 3) {
        int c = cmyk[0], m = cmyk[1], y = cmyk[2], k = cmyk[3];
        rgb[0] = (uint8_t)(k - (((255 - c) * k) >> 8));
        rgb[1] = (uint8_t)(k - (((255 - m) * k) >> 8));
        rgb[2] = (uint8_t)(k - (((255 - y) * k) >> 8));
    }
}

int cc_jpeg_decode_rgb(const uint8_t *data, size_t size, uint32_t width, uint32_t height,
                       uint64_t max_pixels, uint8_t *out, size_t out_capacity, cc_status *status) {
    cc_status_reset(status);
    if (data == NULL || size == 0) return cc_fail(status, CC_BAD_ARGUMENT, "empty input");
    if (out == NULL) return cc_fail(status, CC_BAD_ARGUMENT, "no output buffer");
    struct jpeg_decompress_struct cinfo;
    struct jpeg_progress_mgr progress;
    cc_jpeg_error err;
    cinfo.err = cc_jpeg_error_init(&err, status);
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return status->code;
    }
    cc_jpeg_begin(&cinfo, &progress, data, size);
    jpeg_read_header(&cinfo, TRUE);

    // Everything below allocates in proportion to the image: check the header first.
    uint64_t pixels = (uint64_t)cinfo.image_width * (uint64_t)cinfo.image_height;
    if (pixels > max_pixels) {
        cc_fail(status, CC_TOO_LARGE, "JPEG exceeds the pixel limit");
        jpeg_destroy_decompress(&cinfo);
        return status->code;
    }
    if (cinfo.image_width != width || cinfo.image_height != height || pixels * 3 > out_capacity) {
        cc_fail(status, CC_BAD_ARGUMENT, "JPEG size does not match the output buffer");
        jpeg_destroy_decompress(&cinfo);
        return status->code;
    }

    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    // libjpeg defaults (ISLOW IDCT, fancy upsampling) are what OpenCV decodes with.
    jpeg_start_decompress(&cinfo);

    int expected_components = cmyk ? 4 : 3;
    if (cinfo.output_width != width || cinfo.output_height != height ||
        cinfo.output_components != expected_components) {
        cc_fail(status, CC_UNSUPPORTED_COLOR, "unexpected JPEG output layout");
        jpeg_destroy_decompress(&cinfo);
        return status->code;
    }

    JSAMPARRAY cmyk_row = NULL;
    if (cmyk) cmyk_row = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE, width * 4, 1);

    const size_t stride = (size_t)width * 3;
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *row = out + (size_t)cinfo.output_scanline * stride;
        JDIMENSION got;
        if (cmyk) {
            got = jpeg_read_scanlines(&cinfo, cmyk_row, 1);
            if (got == 1) cc_cmyk_row_to_rgb(cmyk_row[0], row, width);
        } else {
            JSAMPROW rows[1] = {row};
            got = jpeg_read_scanlines(&cinfo, rows, 1);
        }
        if (got == 0) {  // only a suspending source returns 0; never loop forever
            cc_fail(status, CC_CORRUPT, "JPEG decoder made no progress");
            jpeg_destroy_decompress(&cinfo);
            return status->code;
        }
    }
    // Like cv2, anything after the last scanline (trailing garbage, missing EOI) is not an
    // error: we skip jpeg_finish_decompress and release the decoder.
    jpeg_destroy_decompress(&cinfo);
    return CC_OK;
}
