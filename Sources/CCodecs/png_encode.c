#include <stdlib.h>
#include <string.h>
#include "png_io.h"

int cc_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int kind,
                  const uint8_t *palette_rgb, int palette_count, int compression_level,
                  uint8_t **out, size_t *out_size, cc_status *status) {
    cc_status_reset(status);
    if (out == NULL || out_size == NULL) return cc_fail(status, CC_BAD_ARGUMENT, "no output");
    *out = NULL;
    *out_size = 0;
    if (pixels == NULL || width == 0 || height == 0 || width > 0x7fffffffu || height > 0x7fffffffu)
        return cc_fail(status, CC_BAD_ARGUMENT, "PNG dimensions must be positive");
    int color_type, channels;
    switch (kind) {
    case CC_PNG_RGB: color_type = PNG_COLOR_TYPE_RGB; channels = 3; break;
    case CC_PNG_GRAY: color_type = PNG_COLOR_TYPE_GRAY; channels = 1; break;
    case CC_PNG_PALETTE:
        color_type = PNG_COLOR_TYPE_PALETTE; channels = 1;
        if (palette_rgb == NULL || palette_count < 1 || palette_count > 256)
            return cc_fail(status, CC_BAD_ARGUMENT, "PNG palette must have 1...256 entries");
        break;
    default: return cc_fail(status, CC_BAD_ARGUMENT, "unknown PNG kind");
    }
    if (compression_level < 0 || compression_level > 9)
        return cc_fail(status, CC_BAD_ARGUMENT, "PNG compression level must be 0...9");

    // Kept in memory (address taken) so the handler below sees the latest buffer.
    cc_png_sink sink = {NULL, 0, 0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, status, cc_png_error, cc_png_warning);
    if (png == NULL) return cc_fail(status, CC_NO_MEMORY, "out of memory");
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        return cc_fail(status, CC_NO_MEMORY, "out of memory");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(sink.data);
        return status->code;
    }
    png_set_write_fn(png, &sink, cc_png_write, cc_png_flush);
    png_set_compression_level(png, compression_level);
    png_set_IHDR(png, info, width, height, 8, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (kind == CC_PNG_PALETTE) {
        png_color palette[256];
        for (int i = 0; i < palette_count; i++) {
            palette[i].red = palette_rgb[3 * i];
            palette[i].green = palette_rgb[3 * i + 1];
            palette[i].blue = palette_rgb[3 * i + 2];
        }
        png_set_PLTE(png, info, palette, palette_count);
    }
    png_write_info(png, info);
    const size_t stride = (size_t)width * (size_t)channels;
    for (uint32_t y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(pixels + (size_t)y * stride));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    *out = sink.data;
    *out_size = sink.size;
    return CC_OK;
}
