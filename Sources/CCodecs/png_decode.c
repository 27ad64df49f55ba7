#include <stdlib.h>
#include <string.h>
#include "png_io.h"

static const size_t cc_png_signature_size = 8;

// Opens a reader over `source` and reads through IHDR (png_read_info). Returns NULL on
// allocation failure; later failures longjmp to the caller's setjmp.
static png_structp cc_png_open(cc_png_source *source, cc_status *status) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, status, cc_png_error, cc_png_warning);
    if (png == NULL) return NULL;
    png_set_read_fn(png, source, cc_png_read);
    return png;
}

static int cc_png_check_signature(const uint8_t *data, size_t size, cc_status *status) {
    if (data == NULL || size == 0) return cc_fail(status, CC_BAD_ARGUMENT, "empty input");
    if (size < cc_png_signature_size || png_sig_cmp(data, 0, cc_png_signature_size) != 0)
        return cc_fail(status, CC_CORRUPT, "not a PNG file (bad signature)");
    return CC_OK;
}

int cc_png_read_info(const uint8_t *data, size_t size, cc_image_info *info, cc_status *status) {
    cc_status_reset(status);
    if (info == NULL) return cc_fail(status, CC_BAD_ARGUMENT, "no info output");
    memset(info, 0, sizeof(*info));
    if (cc_png_check_signature(data, size, status) != CC_OK) return status->code;
    cc_png_source source = {data, size, 0, SIZE_MAX};
    png_structp png = cc_png_open(&source, status);
    if (png == NULL) return cc_fail(status, CC_NO_MEMORY, "out of memory");
    png_infop pinfo = png_create_info_struct(png);
    if (pinfo == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return cc_fail(status, CC_NO_MEMORY, "out of memory");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &pinfo, NULL);
        return status->code;
    }
    png_read_info(png, pinfo);
    info->width = png_get_image_width(png, pinfo);
    info->height = png_get_image_height(png, pinfo);
    info->components = png_get_channels(png, pinfo);
    info->color_space = png_get_color_type(png, pinfo);
    info->bit_depth = png_get_bit_depth(png, pinfo);
    info->progressive = 0;
    info->interlaced = png_get_interlace_type(png, pinfo) != PNG_INTERLACE_NONE;
    png_destroy_read_struct(&png, &pinfo, NULL);
    return CC_OK;
}

int cc_png_decode_rgb(const uint8_t *data, size_t size, uint32_t width, uint32_t height,
                      uint64_t max_pixels, uint8_t *out, size_t out_capacity, cc_status *status) {
    cc_status_reset(status);
    if (out == NULL) return cc_fail(status, CC_BAD_ARGUMENT, "no output buffer");
    if (cc_png_check_signature(data, size, status) != CC_OK) return status->code;
    cc_png_source source = {data, size, 0, SIZE_MAX};
    png_structp png = cc_png_open(&source, status);
    if (png == NULL) return cc_fail(status, CC_NO_MEMORY, "out of memory");
    png_infop pinfo = png_create_info_struct(png);
    if (pinfo == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return cc_fail(status, CC_NO_MEMORY, "out of memory");
    }
    // Allocated after setjmp and freed in the handler: must not live in a register.
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        png_destroy_read_struct(&png, &pinfo, NULL);
        return status->code;
    }
    png_read_info(png, pinfo);
    uint32_t w = png_get_image_width(png, pinfo), h = png_get_image_height(png, pinfo);
    uint64_t pixels = (uint64_t)w * (uint64_t)h;
    if (pixels > max_pixels) {
        cc_fail(status, CC_TOO_LARGE, "PNG exceeds the pixel limit");
        png_longjmp(png, 1);
    }
    if (w != width || h != height || pixels * 3 > out_capacity) {
        cc_fail(status, CC_BAD_ARGUMENT, "PNG size does not match the output buffer");
        png_longjmp(png, 1);
    }

    // The transforms of OpenCV's PNG decoder for a 3-channel 8-bit result.
    int color_type = png_get_color_type(png, pinfo);
    int bit_depth = png_get_bit_depth(png, pinfo);
    if (bit_depth == 16) png_set_strip_16(png);  // keeps the high byte (x >> 8)
    png_set_strip_alpha(png);  // also drops the alpha that palette + tRNS expands to
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if ((color_type & PNG_COLOR_MASK_COLOR) == 0) {
        if (bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
        png_set_gray_to_rgb(png);
    }
    int passes = png_set_interlace_handling(png);
    // One row as stored (filter byte + packed samples): about what a row takes from the file; 64 KB of slack covers
    // chunk headers, CRCs, deflate block headers and libpng's input buffer.
    size_t stored_row = ((size_t)w * png_get_channels(png, pinfo) * (size_t)bit_depth + 7) / 8 + 1;
    png_read_update_info(png, pinfo);
    if (png_get_rowbytes(png, pinfo) != (size_t)w * 3 || png_get_channels(png, pinfo) != 3 ||
        png_get_bit_depth(png, pinfo) != 8) {
        cc_fail(status, CC_UNSUPPORTED_COLOR, "PNG did not convert to 8-bit RGB");
        png_longjmp(png, 1);
    }

    rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)h);
    if (rows == NULL) {
        cc_fail(status, CC_NO_MEMORY, "out of memory");
        png_longjmp(png, 1);
    }
    for (uint32_t y = 0; y < h; y++) rows[y] = out + (size_t)y * w * 3;
    // png_read_image's loop, with a read budget per row: a row takes at most about its stored size from the file,
    // and the call that reads the image's last row also finishes the zlib stream.
    for (int pass = 0; pass < passes; pass++) {
        for (uint32_t y = 0; y < h; y++) {
            source.budget = stored_row + 65536;
            png_read_row(png, rows[y], NULL);
        }
    }
    // Like cv2, chunks after the image data (and a missing IEND) are not read.
    free(rows);
    rows = NULL;
    png_destroy_read_struct(&png, &pinfo, NULL);
    return CC_OK;
}
