// Depthwise convolution of one plane (one input channel, one filter) for column strides 1 and 2, with the
// bias and activation applied before the store.
//
// Each output element is the chain of fused multiply-adds over the taps in order (kernel row, then column)
// starting from zero; taps that fall in the zero padding are skipped, which leaves the same value (a sum that
// starts at +0 never becomes -0, and adding w * 0 to it changes nothing). The AVX2 and AVX-512 versions do the
// same operations per element, so they give the same bits.
#include "CKernels.h"
#include "simd_ops.h"

#include <stdlib.h>

#if defined(__x86_64__)

// One chunk of an output row is up to this many vectors, accumulated together so each tap's broadcast weight
// serves several of them.
enum { DW_VECTORS = 4, DW_MAX_KW = 7, DW_ROWS_MAX = 4 };

// Calls `kernel` with the common filters' sizes and the stride as constants, so the compiler unrolls their taps.
#define DW_SPECIALISED(kernel)                                                                                 \
    do {                                                                                                       \
        if (kh == 3 && kw == 3 && sw == 1) kernel(in, in_h, in_w, w, 3, 3, sh, 1, ph, pw, dh, dw, bias, act, slope, out, out_h, out_w); \
        else if (kh == 3 && kw == 3) kernel(in, in_h, in_w, w, 3, 3, sh, 2, ph, pw, dh, dw, bias, act, slope, out, out_h, out_w);     \
        else if (kh == 5 && kw == 5 && sw == 1) kernel(in, in_h, in_w, w, 5, 5, sh, 1, ph, pw, dh, dw, bias, act, slope, out, out_h, out_w); \
        else if (kh == 5 && kw == 5) kernel(in, in_h, in_w, w, 5, 5, sh, 2, ph, pw, dh, dw, bias, act, slope, out, out_h, out_w);     \
        else if (sw == 1) kernel(in, in_h, in_w, w, kh, kw, sh, 1, ph, pw, dh, dw, bias, act, slope, out, out_h, out_w);             \
        else kernel(in, in_h, in_w, w, kh, kw, sh, 2, ph, pw, dh, dw, bias, act, slope, out, out_h, out_w);                          \
    } while (0)

// Lanes [lo, hi) of a 16-lane mask.
__attribute__((target("avx512f"), always_inline)) static inline __mmask16 z_lanes(long lo, long hi) {
    if (lo < 0) lo = 0;
    if (hi > 16) hi = 16;
    if (hi <= lo) return 0;
    return (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
}

// For each chunk of columns, the load masks of every (kernel column, vector) are the same on every row: they
// are made once per chunk. Stride 2 reads 32 input columns per vector (two loads) and keeps the even ones.
__attribute__((target("avx512f"), always_inline))
static inline void z_depthwise_k(const float *in, long in_h, long in_w, const float *w, const long kh, const long kw,
                                 long sh, const long sw, long ph, long pw, long dh, long dw, float bias, int act,
                                 float slope, float *out, long out_h, long out_w) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (long ow0 = 0; ow0 < out_w; ow0 += 16 * DW_VECTORS) {
        long vectors = (out_w - ow0 + 15) / 16;
        if (vectors > DW_VECTORS) vectors = DW_VECTORS;
        __mmask16 mask[DW_MAX_KW][DW_VECTORS][2], store[DW_VECTORS];
        for (long j = 0; j < kw; j++)
            for (long v = 0; v < vectors; v++) {
                long c = (ow0 + 16 * v) * sw + j * dw - pw;
                mask[j][v][0] = z_lanes(-c, in_w - c);
                mask[j][v][1] = z_lanes(-c - 16, in_w - c - 16);
            }
        for (long v = 0; v < vectors; v++) store[v] = z_lanes(0, out_w - ow0 - 16 * v);
        for (long oh = 0; oh < out_h; oh++) {
            __m512 acc[DW_VECTORS];
            for (int v = 0; v < DW_VECTORS; v++) acc[v] = _mm512_setzero_ps();
            for (long i = 0; i < kh; i++) {
                long ih = oh * sh + i * dh - ph;
                if (ih < 0 || ih >= in_h) continue;
                const float *row = in + ih * in_w + ow0 * sw - pw;
                for (long j = 0; j < kw; j++) {
                    __m512 wv = _mm512_set1_ps(w[i * kw + j]);
                    for (int v = 0; v < DW_VECTORS; v++) {
                        if (v >= vectors) break;
                        const float *p = row + 16 * v * sw + j * dw;
                        __m512 x = _mm512_maskz_loadu_ps(mask[j][v][0], p);
                        if (sw == 2)
                            x = _mm512_permutex2var_ps(x, even, _mm512_maskz_loadu_ps(mask[j][v][1], p + 16));
                        acc[v] = _mm512_fmadd_ps(wv, x, acc[v]);
                    }
                }
            }
            float *dst = out + oh * out_w + ow0;
            for (int v = 0; v < DW_VECTORS && v < vectors; v++) {
                __m512 y = _mm512_add_ps(acc[v], _mm512_set1_ps(bias));
                EPILOGUE(z, y, act, slope);
                _mm512_mask_storeu_ps(dst + 16 * v, store[v], y);
            }
        }
    }
}

__attribute__((target("avx512f")))
static void z_depthwise(const float *in, long in_h, long in_w, const float *w, long kh, long kw, long sh, long sw,
                        long ph, long pw, long dh, long dw, float bias, int act, float slope, float *out, long out_h,
                        long out_w) {
    DW_SPECIALISED(z_depthwise_k);
}

// The 8-lane versions.
__attribute__((target("avx2,fma"), always_inline)) static inline __m256i y_lanes(long lo, long hi) {
    const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    if (lo < 0) lo = 0;
    if (hi > 8) hi = 8;
    __m256i above = _mm256_cmpgt_epi32(index, _mm256_set1_epi32((int)lo - 1));
    __m256i below = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)hi), index);
    return _mm256_and_si256(above, below);
}

// Output rows oh0 ..< oh0 + R, columns ow0 ..< ow0 + 8 V, accumulated together: each element is still its own
// chain over the taps in order, but R x V chains in flight keep the FMA units busy (one row of a few vectors
// waits on each multiply-add's latency). V and R are constants at every call, so the accumulators stay in
// registers. `in` is the plane with its columns zero-bordered (`y_border_columns`, row stride `in_stride`), or
// for column stride 2 each such row as its even then its odd columns (`y_phase_columns`, each half in_stride / 2
// long), so every tap is one plain load (AVX2's masked loads cost more than the multiply-adds they feed, and
// picking the even lanes of two loads cost two shuffles per tap).
__attribute__((target("avx2,fma"), always_inline))
static inline void y_dw_tile(const int V, const int R, const int checked, const float *in, long in_h, long in_stride,
                             const float *w, const long kh, const long kw, long sh, const long sw, long ph,
                             long dh, long dw, float bias, int act, float slope, float *out, long out_w, long oh0,
                             long ow0) {
    __m256 acc[DW_ROWS_MAX][DW_VECTORS];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) acc[r][v] = _mm256_setzero_ps();
    // Row by row: the input rows are then read in order (a plane larger than the caches streams in; taking the
    // kernel rows outermost made a stride-2 conv over 20 MB of input twice as slow). `checked` = 0 where every
    // tap's row lies inside the plane: then the loops unroll fully and the accumulators stay in registers.
    for (int r = 0; r < R; r++) {
        for (long i = 0; i < kh; i++) {
            long ih = (oh0 + r) * sh + i * dh - ph;
            if (checked && (ih < 0 || ih >= in_h)) continue;
            const float *row = in + ih * in_stride + ow0;
            for (long j = 0; j < kw; j++) {
                __m256 wv = _mm256_set1_ps(w[i * kw + j]);
                // Padded column 2 ox + j dw is column ox + (j dw) / 2 of phase (j dw) % 2.
                const float *tap = sw == 1 ? row + j * dw : row + ((j * dw) & 1) * (in_stride / 2) + ((j * dw) >> 1);
                for (int v = 0; v < V; v++) acc[r][v] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(tap + 8 * v), acc[r][v]);
            }
        }
    }
    for (int r = 0; r < R; r++) {
        float *dst = out + (oh0 + r) * out_w + ow0;
        for (int v = 0; v < V; v++) {
            __m256 y = _mm256_add_ps(acc[r][v], _mm256_set1_ps(bias));
            EPILOGUE(y, y, act, slope);
            y_store_lanes(dst + 8 * v, y, out_w - ow0 - 8 * v);
        }
    }
}

// All output rows of one chunk of V vectors: R rows at a time (eight chains: two rows of three or four vectors,
// four rows of one or two), the last few one at a time.
#define Y_DW_ROWS(V, R)                                                                                        \
    do {                                                                                                       \
        long oh = 0;                                                                                           \
        for (; oh + (R) <= out_h; oh += (R)) {                                                                 \
            if (oh * sh - ph >= 0 && (oh + (R) - 1) * sh + (kh - 1) * dh - ph < in_h)                          \
                y_dw_tile(V, R, 0, in, in_h, stride, w, kh, kw, sh, sw, ph, dh, dw, bias, act, slope, out, out_w, oh, ow0); \
            else                                                                                               \
                y_dw_tile(V, R, 1, in, in_h, stride, w, kh, kw, sh, sw, ph, dh, dw, bias, act, slope, out, out_w, oh, ow0); \
        }                                                                                                      \
        for (; oh < out_h; oh++)                                                                               \
            y_dw_tile(V, 1, 1, in, in_h, stride, w, kh, kw, sh, sw, ph, dh, dw, bias, act, slope, out, out_w, oh, ow0); \
    } while (0)

__attribute__((target("avx2,fma"), always_inline))
static inline void y_depthwise_k(const float *in, long in_h, long stride, const float *w, const long kh,
                                 const long kw, long sh, const long sw, long ph, long pw, long dh, long dw,
                                 float bias, int act, float slope, float *out, long out_h, long out_w) {
    (void)pw;  // the columns are bordered already
    for (long ow0 = 0; ow0 < out_w; ow0 += 8 * DW_VECTORS) {
        long vectors = (out_w - ow0 + 7) / 8;
        switch (vectors > DW_VECTORS ? DW_VECTORS : vectors) {
        case 4: Y_DW_ROWS(4, 2); break;
        case 3: Y_DW_ROWS(3, 2); break;
        case 2: Y_DW_ROWS(2, 4); break;
        default: Y_DW_ROWS(1, 4); break;
        }
    }
}

// The plane with `pw` zero columns on its left and zeros on its right up to the row stride `stride` (a multiple of
// 8, past every column a tile's vectors load). Vector moves: the compiler would make each row's copy a libc call.
__attribute__((target("avx2,fma"), no_builtin("memcpy", "memset", "memmove")))
static void y_border_columns(const float *in, long in_h, long in_w, long pw, long stride, float *dst) {
    const __m256 zero = _mm256_setzero_ps();
    const __m256i tail = y_lanes(0, in_w % 8);
    for (long y = 0; y < in_h; y++) {
        float *row = dst + y * stride;
        const float *src = in + y * in_w;
        for (long x = 0; x < pw; x += 8) _mm256_storeu_ps(row + x, zero);
        long x = 0;
        for (; x + 8 <= in_w; x += 8) _mm256_storeu_ps(row + pw + x, _mm256_loadu_ps(src + x));
        _mm256_storeu_ps(row + pw + x, _mm256_maskload_ps(src + x, tail));
        // The rest to the stride (the last store may overlap zeros already written, never data).
        for (long z = pw + x + 8; z < stride; z += 8) _mm256_storeu_ps(row + (z + 8 <= stride ? z : stride - 8), zero);
    }
}

// For column stride 2: each row of the plane bordered as `y_border_columns` does, written as its even columns
// (the first stride / 2 floats) then its odd ones. Padded column c = x + pw goes to phase c % 2, index c / 2: with
// pw = 2q the input's even columns start phase 0 at q and its odd ones phase 1 at q; with pw = 2q + 1 its even
// columns start phase 1 at q and its odd ones phase 0 at q + 1.
__attribute__((target("avx2,fma")))
static void y_phase_columns(const float *in, long in_h, long in_w, long pw, long stride, float *dst) {
    const __m256 zero = _mm256_setzero_ps();
    const long half = stride / 2, q = pw / 2;
    for (long y = 0; y < in_h; y++) {
        float *row = dst + y * stride;
        const float *src = in + y * in_w;
        for (long x = 0; x < stride; x += 8) _mm256_storeu_ps(row + x, zero);
        float *evens = pw % 2 ? row + half + q : row + q, *odds = pw % 2 ? row + q + 1 : row + half + q;
        for (long i = 0; 2 * i < in_w; i += 8) {
            __m256 lo = _mm256_maskload_ps(src + 2 * i, y_lanes(0, in_w - 2 * i));
            __m256 hi = _mm256_maskload_ps(src + 2 * i + 8, y_lanes(0, in_w - 2 * i - 8));
            // [lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6] -> [lo0 lo2 lo4 lo6 hi0 hi2 hi4 hi6], and the odd lanes alike.
            __m256 e = _mm256_shuffle_ps(lo, hi, 0x88), o = _mm256_shuffle_ps(lo, hi, 0xDD);
            _mm256_storeu_ps(evens + i, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8)));
            _mm256_storeu_ps(odds + i, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), 0xD8)));
        }
    }
}

// Without memory for the bordered copy: the same chains one element at a time (a column in the padding reads 0, as
// the bordered copy's does), the epilogue on a vector of that one value.
__attribute__((target("avx2,fma")))
static void y_depthwise_scalar(const float *in, long in_h, long in_w, const float *w, long kh, long kw, long sh,
                               long sw, long ph, long pw, long dh, long dw, float bias, int act, float slope,
                               float *out, long out_h, long out_w) {
    for (long oh = 0; oh < out_h; oh++)
        for (long ow = 0; ow < out_w; ow++) {
            __m128 acc = _mm_setzero_ps();
            for (long i = 0; i < kh; i++) {
                long ih = oh * sh + i * dh - ph;
                if (ih < 0 || ih >= in_h) continue;
                for (long j = 0; j < kw; j++) {
                    long iw = ow * sw + j * dw - pw;
                    float x = iw >= 0 && iw < in_w ? in[ih * in_w + iw] : 0.0f;
                    acc = _mm_fmadd_ss(_mm_set_ss(w[i * kw + j]), _mm_set_ss(x), acc);
                }
            }
            __m256 y = _mm256_add_ps(_mm256_set1_ps(_mm_cvtss_f32(acc)), _mm256_set1_ps(bias));
            EPILOGUE(y, y, act, slope);
            out[oh * out_w + ow] = _mm256_cvtss_f32(y);
        }
}

__attribute__((target("avx2,fma")))
static void y_depthwise(const float *in, long in_h, long in_w, const float *w, long kh, long kw, long sh, long sw,
                        long ph, long pw, long dh, long dw, float bias, int act, float slope, float *out, long out_h,
                        long out_w) {
    // Row strides (multiples of 8) past every column the tiles load (the last vector of a row reads 8 columns, of
    // its phase for stride 2, from its first output's tap) and every vector the copy writes (up to 8 floats past the
    // input's last column).
    const long vectors = (out_w + 7) / 8;
    long stride;
    if (sw == 1) {
        stride = vectors * 8 + (kw - 1) * dw + 8;
        if (stride < pw + in_w + 8) stride = pw + in_w + 8;
    } else {
        long half = vectors * 8 + ((kw - 1) * dw) / 2 + 1;
        if (half < pw / 2 + 1 + (in_w + 1) / 2 + 8) half = pw / 2 + 1 + (in_w + 1) / 2 + 8;
        stride = 2 * ((half + 7) / 8 * 8);
    }
    stride = (stride + 7) / 8 * 8;
    float *bordered = malloc(sizeof(float) * (size_t)(stride * in_h));
    if (!bordered) {
        y_depthwise_scalar(in, in_h, in_w, w, kh, kw, sh, sw, ph, pw, dh, dw, bias, act, slope, out, out_h, out_w);
        return;
    }
    if (sw == 1) y_border_columns(in, in_h, in_w, pw, stride, bordered);
    else y_phase_columns(in, in_h, in_w, pw, stride, bordered);
    in = bordered;
    in_w = stride;
    DW_SPECIALISED(y_depthwise_k);
    free(bordered);
}
#endif

void argus_depthwise_plane(int avx512, const float *in, long in_h, long in_w, const float *w, long kh, long kw,
                           long sh, long sw, long ph, long pw, long dh, long dw, float bias, int act, float slope,
                           float *out, long out_h, long out_w) {
#if defined(__x86_64__)
    if (avx512) z_depthwise(in, in_h, in_w, w, kh, kw, sh, sw, ph, pw, dh, dw, bias, act, slope, out, out_h, out_w);
    else y_depthwise(in, in_h, in_w, w, kh, kw, sh, sw, ph, pw, dh, dw, bias, act, slope, out, out_h, out_w);
#else
    (void)avx512; (void)in; (void)in_h; (void)in_w; (void)w; (void)kh; (void)kw; (void)sh; (void)sw; (void)ph;
    (void)pw; (void)dh; (void)dw; (void)bias; (void)act; (void)slope; (void)out; (void)out_h; (void)out_w;
#endif
}
