// CCodecs: the only C in Argus. Thin, memory-to-memory wrappers around libjpeg(-turbo)
// and libpng whose fatal errors longjmp back to the caller instead of calling exit().
// Every entry point is reentrant (no globals) and bounds-checked on its input.
#ifndef ARGUS_CCODECS_H
#define ARGUS_CCODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Result codes shared by every entry point.
typedef enum cc_code {
    CC_OK = 0,
    CC_CORRUPT = 1,            ///< the codec library reported a fatal error (message says which)
    CC_UNSUPPORTED_COLOR = 2,  ///< a color space we do not convert (e.g. 2-component JPEG)
    CC_TOO_LARGE = 3,          ///< width*height above the caller's pixel limit
    CC_NO_MEMORY = 4,          ///< allocation failed
    CC_BAD_ARGUMENT = 5,       ///< caller error: buffer too small, size mismatch, bad dimensions
} cc_code;

#define CC_MESSAGE_MAX 200

/// What a decoder noticed about the image data itself, fatal or not (the worst one).
typedef enum cc_defect {
    CC_DEFECT_NONE = 0,
    CC_DEFECT_CORRUPT = 1,    ///< damaged entropy-coded data (libjpeg warned and filled the damaged blocks)
    CC_DEFECT_TRUNCATED = 2,  ///< the data ended before the image did
} cc_defect;

/// Outcome of a call: the code, the fatal message if any, non-fatal warnings, and the worst data defect with the
/// message that first reported it (a warning or the fatal error).
typedef struct cc_status {
    int code;
    int warning_count;
    int defect;
    char message[CC_MESSAGE_MAX];
    char first_warning[CC_MESSAGE_MAX];
    char defect_message[CC_MESSAGE_MAX];
} cc_status;

/// What a header says, before any pixel is decoded.
typedef struct cc_image_info {
    uint32_t width;
    uint32_t height;
    int components;    ///< JPEG: components in the file; PNG: channels in the file
    int color_space;   ///< JPEG: J_COLOR_SPACE of the file; PNG: IHDR color type
    int bit_depth;     ///< JPEG: 8 (data precision); PNG: IHDR bit depth
    int progressive;   ///< JPEG: progressive (1) or sequential (0)
    int interlaced;    ///< PNG: Adam7 (1) or not (0)
} cc_image_info;

/// Reads the JPEG header (through SOF) from memory.
int cc_jpeg_read_info(const uint8_t *data, size_t size, cc_image_info *info, cc_status *status);

/// Decodes a JPEG into interleaved RGB8 (HWC). Grayscale is replicated into 3 channels;
/// CMYK/YCCK are converted as OpenCV does (Adobe inverted CMYK). The header must match
/// `width` x `height` (read it first with cc_jpeg_read_info) and out_capacity >= 3*w*h.
/// Truncated or slightly corrupt scans decode like libjpeg (rest filled, a warning counted, status->defect set):
/// the caller decides whether to accept the image.
int cc_jpeg_decode_rgb(const uint8_t *data, size_t size, uint32_t width, uint32_t height,
                       uint64_t max_pixels, uint8_t *out, size_t out_capacity, cc_status *status);

/// Encodes RGB8 (HWC) as a baseline JPEG (4:2:0, quality 1...100). *out is malloc'ed: free with cc_free.
int cc_jpeg_encode_rgb(const uint8_t *rgb, uint32_t width, uint32_t height, int quality,
                       uint8_t **out, size_t *out_size, cc_status *status);

/// Reads the PNG header (signature + IHDR, via libpng) from memory.
int cc_png_read_info(const uint8_t *data, size_t size, cc_image_info *info, cc_status *status);

/// Decodes a PNG into interleaved RGB8 (HWC) as OpenCV's IMREAD_COLOR does: palette expanded,
/// gray replicated, 1/2/4-bit scaled to 8-bit, 16-bit reduced by taking the high byte, alpha dropped.
int cc_png_decode_rgb(const uint8_t *data, size_t size, uint32_t width, uint32_t height,
                      uint64_t max_pixels, uint8_t *out, size_t out_capacity, cc_status *status);

/// PNG output kinds for cc_png_encode.
typedef enum cc_png_kind {
    CC_PNG_RGB = 0,      ///< 3 bytes per pixel
    CC_PNG_GRAY = 1,     ///< 1 byte per pixel
    CC_PNG_PALETTE = 2,  ///< 1 index byte per pixel, palette_rgb holds palette_count RGB triples
} cc_png_kind;

/// Encodes 8-bit pixels as PNG. *out is malloc'ed: free with cc_free.
int cc_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int kind,
                  const uint8_t *palette_rgb, int palette_count, int compression_level,
                  uint8_t **out, size_t *out_size, cc_status *status);

/// Encodes one byte per pixel (0 = black, nonzero = white) as a 1-bit grayscale PNG. *out is malloc'ed: free with cc_free.
int cc_png_encode_gray1(const uint8_t *pixels, uint32_t width, uint32_t height, int compression_level,
                        uint8_t **out, size_t *out_size, cc_status *status);

/// Frees a buffer returned by an encoder.
void cc_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif
