// Depthwise convolution of one plane (one input channel, one filter) for column strides 1 and 2, with the
// bias and activation applied before the store.
//
// Each output element is the chain of fused multiply-adds over the taps in order (kernel row, then column)
// starting from zero; taps that fall in the zero padding are skipped, which leaves the same value (a sum that
// starts at +0 never becomes -0, and adding w * 0 to it changes nothing). The AVX2 and AVX-512 versions do the
// same operations per element, so they give the same bits.
#include "CKernels.h"
#include "simd_ops.h"

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
// registers; `masked` = 0 where every tap's load lies inside the row (AVX2's masked loads cost more).
__attribute__((target("avx2,fma"), always_inline))
static inline void y_dw_tile(const int V, const int R, const int masked, const float *in, long in_h, long in_w,
                             const float *w, const long kh, const long kw, long sh, const long sw, long ph, long pw,
                             long dh, long dw, float bias, int act, float slope, float *out, long out_w, long oh0,
                             long ow0, __m256i mask[DW_MAX_KW][DW_VECTORS][2], int whole[DW_MAX_KW][DW_VECTORS]) {
    __m256 acc[DW_ROWS_MAX][DW_VECTORS];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) acc[r][v] = _mm256_setzero_ps();
    // Row by row: the input rows are then read in order (a plane larger than the caches streams in; taking the
    // kernel rows outermost made a stride-2 conv over 20 MB of input twice as slow).
    for (int r = 0; r < R; r++) {
        for (long i = 0; i < kh; i++) {
            long ih = (oh0 + r) * sh + i * dh - ph;
            if (ih < 0 || ih >= in_h) continue;
            const float *row = in + ih * in_w + ow0 * sw - pw;
            for (long j = 0; j < kw; j++) {
                __m256 wv = _mm256_set1_ps(w[i * kw + j]);
                for (int v = 0; v < V; v++) {
                    const float *p = row + 8 * v * sw + j * dw;
                    const int plain = !masked || whole[j][v];
                    __m256 x;
                    if (sw == 1) {
                        x = plain ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask[j][v][0]);
                    } else {
                        __m256 lo, hi;
                        if (plain) {
                            lo = _mm256_loadu_ps(p);
                            hi = _mm256_loadu_ps(p + 8);
                        } else {
                            lo = _mm256_maskload_ps(p, mask[j][v][0]);
                            hi = _mm256_maskload_ps(p + 8, mask[j][v][1]);
                        }
                        // [lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6] -> [lo0 lo2 lo4 lo6 hi0 hi2 hi4 hi6]
                        __m256 e = _mm256_shuffle_ps(lo, hi, 0x88);
                        x = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8));
                    }
                    acc[r][v] = _mm256_fmadd_ps(wv, x, acc[r][v]);
                }
            }
        }
    }
    for (int r = 0; r < R; r++) {
        float *dst = out + (oh0 + r) * out_w + ow0;
        for (int v = 0; v < V; v++) {
            __m256 y = _mm256_add_ps(acc[r][v], _mm256_set1_ps(bias));
            EPILOGUE(y, y, act, slope);
            long left = out_w - ow0 - 8 * v;
            if (left >= 8) _mm256_storeu_ps(dst + 8 * v, y);
            else _mm256_maskstore_ps(dst + 8 * v, y_lanes(0, left), y);
        }
    }
}

// All output rows of one chunk of V vectors: R rows at a time (eight chains: two rows of three or four vectors,
// four rows of one or two), the last few one at a time.
#define Y_DW_ROWS(V, R, masked)                                                                                \
    do {                                                                                                       \
        long oh = 0;                                                                                           \
        for (; oh + (R) <= out_h; oh += (R))                                                                   \
            y_dw_tile(V, R, masked, in, in_h, in_w, w, kh, kw, sh, sw, ph, pw, dh, dw, bias, act, slope, out, out_w, oh, ow0, mask, whole); \
        for (; oh < out_h; oh++)                                                                               \
            y_dw_tile(V, 1, masked, in, in_h, in_w, w, kh, kw, sh, sw, ph, pw, dh, dw, bias, act, slope, out, out_w, oh, ow0, mask, whole); \
    } while (0)

__attribute__((target("avx2,fma"), always_inline))
static inline void y_depthwise_k(const float *in, long in_h, long in_w, const float *w, const long kh, const long kw,
                                 long sh, const long sw, long ph, long pw, long dh, long dw, float bias, int act,
                                 float slope, float *out, long out_h, long out_w) {
    for (long ow0 = 0; ow0 < out_w; ow0 += 8 * DW_VECTORS) {
        long vectors = (out_w - ow0 + 7) / 8;
        if (vectors > DW_VECTORS) vectors = DW_VECTORS;
        __m256i mask[DW_MAX_KW][DW_VECTORS][2];
        int whole[DW_MAX_KW][DW_VECTORS];
        int all_whole = 1;
        for (long j = 0; j < kw; j++)
            for (long v = 0; v < vectors; v++) {
                long c = (ow0 + 8 * v) * sw + j * dw - pw;
                mask[j][v][0] = y_lanes(-c, in_w - c);
                mask[j][v][1] = y_lanes(-c - 8, in_w - c - 8);
                whole[j][v] = c >= 0 && c + 8 * sw <= in_w;
                all_whole &= whole[j][v];
            }
        if (all_whole) {
            switch (vectors) {
            case 4: Y_DW_ROWS(4, 2, 0); break;
            case 3: Y_DW_ROWS(3, 2, 0); break;
            case 2: Y_DW_ROWS(2, 4, 0); break;
            default: Y_DW_ROWS(1, 4, 0); break;
            }
        } else {
            switch (vectors) {
            case 4: Y_DW_ROWS(4, 2, 1); break;
            case 3: Y_DW_ROWS(3, 2, 1); break;
            case 2: Y_DW_ROWS(2, 4, 1); break;
            default: Y_DW_ROWS(1, 4, 1); break;
            }
        }
    }
}

__attribute__((target("avx2,fma")))
static void y_depthwise(const float *in, long in_h, long in_w, const float *w, long kh, long kw, long sh, long sw,
                        long ph, long pw, long dh, long dw, float bias, int act, float slope, float *out, long out_h,
                        long out_w) {
    DW_SPECIALISED(y_depthwise_k);
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
