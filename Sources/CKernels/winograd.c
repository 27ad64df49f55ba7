// Winograd F(2x2, 3x3) tile transforms (Lavin & Gray 2016) for ArgusTensor's winogradConv3x3: the input
// transform V = Bᵀ d B of each tile's 4x4 patch and the output transform Y = Aᵀ M A of its 16 products.
// Tiles go in runs along a tile row, one tile per lane (16 per AVX-512 vector, 8 per AVX2 vector); the zero
// padding and the ends of rows and runs are masked loads and stores. Both transforms are adds and subtracts in
// one fixed order per value, so both widths give the same bits.
#include "CKernels.h"
#include "simd_ops.h"

#if defined(__x86_64__)
// ---- Runs of horizontally adjacent tiles, one tile per lane. Patch column b of tile k is input column
// x0 + 2k + b: the even and odd lanes of two loads, at x0 and at x0 + 2.

// Bᵀ d B of the run's patch rows d[a][b] (one vector per row a, column b), stored as 16 vectors planeStride apart.
#define INPUT_RUN_BODY(P, d, dst, plane_stride, STORE)                                                 \
    do {                                                                                               \
        for (int a = 0; a < 4; a++) {                                                                  \
            P##_t r0, r1, r2, r3;                                                                      \
            if (a == 0) { r0 = P##_sub(d[0][0], d[2][0]); r1 = P##_sub(d[0][1], d[2][1]);              \
                          r2 = P##_sub(d[0][2], d[2][2]); r3 = P##_sub(d[0][3], d[2][3]); }            \
            else if (a == 1) { r0 = P##_add(d[1][0], d[2][0]); r1 = P##_add(d[1][1], d[2][1]);         \
                               r2 = P##_add(d[1][2], d[2][2]); r3 = P##_add(d[1][3], d[2][3]); }       \
            else if (a == 2) { r0 = P##_sub(d[2][0], d[1][0]); r1 = P##_sub(d[2][1], d[1][1]);         \
                               r2 = P##_sub(d[2][2], d[1][2]); r3 = P##_sub(d[2][3], d[1][3]); }       \
            else { r0 = P##_sub(d[1][0], d[3][0]); r1 = P##_sub(d[1][1], d[3][1]);                     \
                   r2 = P##_sub(d[1][2], d[3][2]); r3 = P##_sub(d[1][3], d[3][3]); }                   \
            STORE(dst + (a * 4 + 0) * (plane_stride), P##_sub(r0, r2));                                \
            STORE(dst + (a * 4 + 1) * (plane_stride), P##_add(r1, r2));                                \
            STORE(dst + (a * 4 + 2) * (plane_stride), P##_sub(r2, r1));                                \
            STORE(dst + (a * 4 + 3) * (plane_stride), P##_sub(r1, r3));                                \
        }                                                                                              \
    } while (0)

// Aᵀ s A: out rows 0 and 1 as (even, odd) output columns.
#define OUTPUT_RUN_BODY(P, LOAD, src, plane_stride, e0, o0, e1, o1)                                    \
    do {                                                                                               \
        P##_t q0[4], q1[4];                                                                            \
        for (int b = 0; b < 4; b++) {                                                                  \
            P##_t s0 = LOAD(src + b * (plane_stride)), s1 = LOAD(src + (4 + b) * (plane_stride));      \
            P##_t s2 = LOAD(src + (8 + b) * (plane_stride)), s3 = LOAD(src + (12 + b) * (plane_stride)); \
            q0[b] = P##_add(P##_add(s0, s1), s2);                                                      \
            q1[b] = P##_sub(P##_sub(s1, s2), s3);                                                      \
        }                                                                                              \
        e0 = P##_add(P##_add(q0[0], q0[1]), q0[2]); o0 = P##_sub(P##_sub(q0[1], q0[2]), q0[3]);        \
        e1 = P##_add(P##_add(q1[0], q1[1]), q1[2]); o1 = P##_sub(P##_sub(q1[1], q1[2]), q1[3]);        \
    } while (0)


// Lanes [lo, hi) of `lanes` set (clamped).
static inline unsigned lane_mask(long lo, long hi, long lanes) {
    if (lo < 0) lo = 0;
    if (hi > lanes) hi = lanes;
    return hi <= lo ? 0u : (unsigned)(((1ull << hi) - 1) & ~((1ull << lo) - 1));
}

// The run of `tiles` (1..16) tiles whose patches start at input row y0, column x0 of `plane` (h x w, zero
// outside), transformed into 16 vectors plane_stride apart (only the run's lanes stored).
Z_ATTR void z_input_run(const float *plane, long h, long w, long y0, long x0, long tiles, float *dst,
                        long plane_stride) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    // Patch column b of tile k is input column x0 + 2k + b: even and odd lanes of 32 columns from x0 and x0 + 2.
    const __mmask16 m0 = (__mmask16)lane_mask(-x0, w - x0, 16), m1 = (__mmask16)lane_mask(-x0 - 16, w - x0 - 16, 16);
    const __mmask16 m2 = (__mmask16)lane_mask(-x0 - 2, w - x0 - 2, 16);
    const __mmask16 m3 = (__mmask16)lane_mask(-x0 - 18, w - x0 - 18, 16);
    z_t d[4][4];
    for (int a = 0; a < 4; a++) {
        long y = y0 + a;
        if (y < 0 || y >= h) {
            for (int b = 0; b < 4; b++) d[a][b] = _mm512_setzero_ps();
            continue;
        }
        const float *row = plane + y * w + x0;
        z_t lo0 = _mm512_maskz_loadu_ps(m0, row), lo1 = _mm512_maskz_loadu_ps(m1, row + 16);
        z_t hi0 = _mm512_maskz_loadu_ps(m2, row + 2), hi1 = _mm512_maskz_loadu_ps(m3, row + 18);
        d[a][0] = _mm512_permutex2var_ps(lo0, even, lo1);
        d[a][1] = _mm512_permutex2var_ps(lo0, odd, lo1);
        d[a][2] = _mm512_permutex2var_ps(hi0, even, hi1);
        d[a][3] = _mm512_permutex2var_ps(hi0, odd, hi1);
    }
    const __mmask16 store = (__mmask16)lane_mask(0, tiles, 16);
#define Z_STORE(p, v) _mm512_mask_storeu_ps((p), store, (v))
    INPUT_RUN_BODY(z, d, dst, plane_stride, Z_STORE);
#undef Z_STORE
}

Y_ATTR __m256i y_lane_mask(long lo, long hi) {
    const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    if (lo < 0) lo = 0;
    if (hi > 8) hi = 8;
    if (hi < lo) hi = lo;
    return _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32((int)lo), index),
                               _mm256_cmpgt_epi32(_mm256_set1_epi32((int)hi), index));
}

// As z_input_run for runs of 1..8 tiles.
Y_ATTR void y_input_run(const float *plane, long h, long w, long y0, long x0, long tiles, float *dst,
                        long plane_stride) {
    // The loads read columns x0 .. x0 + 17: plain loads when all of them are in the row.
    const int inside = x0 >= 0 && x0 + 18 <= w;
    __m256i m[4];
    for (int q = 0; q < 4; q++) m[q] = y_lane_mask(-x0 - 8 * (q & 1) - 2 * (q >> 1), w - x0 - 8 * (q & 1) - 2 * (q >> 1));
    y_t d[4][4];
    for (int a = 0; a < 4; a++) {
        long y = y0 + a;
        if (y < 0 || y >= h) {
            for (int b = 0; b < 4; b++) d[a][b] = _mm256_setzero_ps();
            continue;
        }
        const float *row = plane + y * w + x0;
        for (int half = 0; half < 2; half++) {
            y_t x0v = inside ? _mm256_loadu_ps(row + 2 * half) : _mm256_maskload_ps(row + 2 * half, m[2 * half]);
            y_t x1v = inside ? _mm256_loadu_ps(row + 2 * half + 8)
                             : _mm256_maskload_ps(row + 2 * half + 8, m[2 * half + 1]);
            // [x0 x2 x8 x10 | x4 x6 x12 x14] -> 64-bit lanes reordered to [x0 x2 x4 x6 x8 x10 x12 x14].
            y_t e = _mm256_shuffle_ps(x0v, x1v, _MM_SHUFFLE(2, 0, 2, 0));
            y_t o = _mm256_shuffle_ps(x0v, x1v, _MM_SHUFFLE(3, 1, 3, 1));
            d[a][2 * half] = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
            d[a][2 * half + 1] = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
        }
    }
    if (tiles == 8) {
#define Y_STORE(p, v) _mm256_storeu_ps((p), (v))
        INPUT_RUN_BODY(y, d, dst, plane_stride, Y_STORE);
#undef Y_STORE
    } else {
#define Y_STORE(p, v) y_store_lanes((p), (v), tiles)
        INPUT_RUN_BODY(y, d, dst, plane_stride, Y_STORE);
#undef Y_STORE
    }
}

// The run of `tiles` tiles' products (16 rows plane_stride apart) to their output blocks at `dst` (output row
// oy, column ox of an oh x ow plane; blocks cut at the plane's edge).
Z_ATTR void z_output_run(const float *src, long plane_stride, long tiles, float *dst, long oy, long ox, long oh,
                         long ow) {
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const __mmask16 load = (__mmask16)lane_mask(0, tiles, 16);
    long columns = ow - ox < 2 * tiles ? ow - ox : 2 * tiles;
    const __mmask16 s0 = (__mmask16)lane_mask(0, columns, 16), s1 = (__mmask16)lane_mask(0, columns - 16, 16);
#define Z_LOAD(p) _mm512_maskz_loadu_ps(load, (p))
    z_t e0, o0, e1, o1;
    OUTPUT_RUN_BODY(z, Z_LOAD, src, plane_stride, e0, o0, e1, o1);
#undef Z_LOAD
    _mm512_mask_storeu_ps(dst, s0, _mm512_permutex2var_ps(e0, lo, o0));
    _mm512_mask_storeu_ps(dst + 16, s1, _mm512_permutex2var_ps(e0, hi, o0));
    if (oy + 1 < oh) {
        _mm512_mask_storeu_ps(dst + ow, s0, _mm512_permutex2var_ps(e1, lo, o1));
        _mm512_mask_storeu_ps(dst + ow + 16, s1, _mm512_permutex2var_ps(e1, hi, o1));
    }
}

// As z_output_run for runs of 1..8 tiles (AVX2's masked moves cost more than plain ones: whole runs use none).
Y_ATTR void y_output_run(const float *src, long plane_stride, long tiles, float *dst, long oy, long ox, long oh,
                         long ow) {
    const __m256i load = y_lane_mask(0, tiles);
    long columns = ow - ox < 2 * tiles ? ow - ox : 2 * tiles;
    y_t e0, o0, e1, o1;
    if (tiles == 8) {
#define Y_LOAD(p) _mm256_loadu_ps(p)
        OUTPUT_RUN_BODY(y, Y_LOAD, src, plane_stride, e0, o0, e1, o1);
#undef Y_LOAD
    } else {
#define Y_LOAD(p) _mm256_maskload_ps((p), load)
        OUTPUT_RUN_BODY(y, Y_LOAD, src, plane_stride, e0, o0, e1, o1);
#undef Y_LOAD
    }
    const int whole = columns == 16;
    y_t a = _mm256_unpacklo_ps(e0, o0), b = _mm256_unpackhi_ps(e0, o0);
    if (whole) {
        _mm256_storeu_ps(dst, _mm256_permute2f128_ps(a, b, 0x20));
        _mm256_storeu_ps(dst + 8, _mm256_permute2f128_ps(a, b, 0x31));
    } else {
        y_store_lanes(dst, _mm256_permute2f128_ps(a, b, 0x20), columns);
        y_store_lanes(dst + 8, _mm256_permute2f128_ps(a, b, 0x31), columns - 8);
    }
    if (oy + 1 < oh) {
        a = _mm256_unpacklo_ps(e1, o1); b = _mm256_unpackhi_ps(e1, o1);
        if (whole) {
            _mm256_storeu_ps(dst + ow, _mm256_permute2f128_ps(a, b, 0x20));
            _mm256_storeu_ps(dst + ow + 8, _mm256_permute2f128_ps(a, b, 0x31));
        } else {
            y_store_lanes(dst + ow, _mm256_permute2f128_ps(a, b, 0x20), columns);
            y_store_lanes(dst + ow + 8, _mm256_permute2f128_ps(a, b, 0x31), columns - 8);
        }
    }
}

// The loops over channels and runs of tiles (up to RUN, within one tile row of one image).
#define INPUT_LOOP(RUN, run_fn)                                                                                \
    for (long ci = c_begin; ci < c_end; ci++) {                                                                \
        for (long j = 0; j < count;) {                                                                         \
            long t = t0 + j, image = t / tiles_per_image, r = t % tiles_per_image, tx = r % tiles_x;           \
            long tiles = tiles_x - tx < RUN ? tiles_x - tx : RUN;                                              \
            if (count - j < tiles) tiles = count - j;                                                          \
            run_fn(x + (image * cin + ci) * h * w, h, w, (r / tiles_x) * 2 - pad, tx * 2 - pad, tiles,         \
                   v + ci * count + j, cin * count);                                                           \
            j += tiles;                                                                                        \
        }                                                                                                      \
    }

#define OUTPUT_LOOP(RUN, run_fn)                                                                               \
    for (long co = co_begin; co < co_end; co++) {                                                              \
        for (long j = 0; j < count;) {                                                                         \
            long t = t0 + j, image = t / tiles_per_image, r = t % tiles_per_image, tx = r % tiles_x;           \
            long tiles = tiles_x - tx < RUN ? tiles_x - tx : RUN;                                              \
            if (count - j < tiles) tiles = count - j;                                                          \
            long oy = (r / tiles_x) * 2, ox = tx * 2;                                                          \
            run_fn(m + co * count + j, cout * count, tiles, out + (image * cout + co) * oh * ow + oy * ow + ox, \
                   oy, ox, oh, ow);                                                                            \
            j += tiles;                                                                                        \
        }                                                                                                      \
    }

__attribute__((target("avx512f")))
static void z_input(const float *x, long cin, long c_begin, long c_end, long h, long w, long pad, long tiles_x,
                    long tiles_per_image, long t0, long count, float *v) {
    INPUT_LOOP(16, z_input_run)
}

__attribute__((target("avx2,fma")))
static void y_input(const float *x, long cin, long c_begin, long c_end, long h, long w, long pad, long tiles_x,
                    long tiles_per_image, long t0, long count, float *v) {
    INPUT_LOOP(8, y_input_run)
}

__attribute__((target("avx512f")))
static void z_output(const float *m, long cout, long co_begin, long co_end, long count, long t0, long tiles_x,
                     long tiles_per_image, long oh, long ow, float *out) {
    OUTPUT_LOOP(16, z_output_run)
}

__attribute__((target("avx2,fma")))
static void y_output(const float *m, long cout, long co_begin, long co_end, long count, long t0, long tiles_x,
                     long tiles_per_image, long oh, long ow, float *out) {
    OUTPUT_LOOP(8, y_output_run)
}
#endif

void argus_winograd_input(int avx512, const float *x, long cin, long c_begin, long c_end, long h, long w, long pad,
                          long tiles_x, long tiles_per_image, long t0, long count, float *v) {
#if defined(__x86_64__)
    if (avx512) z_input(x, cin, c_begin, c_end, h, w, pad, tiles_x, tiles_per_image, t0, count, v);
    else y_input(x, cin, c_begin, c_end, h, w, pad, tiles_x, tiles_per_image, t0, count, v);
#else
    (void)avx512; (void)x; (void)cin; (void)c_begin; (void)c_end; (void)h; (void)w; (void)pad; (void)tiles_x;
    (void)tiles_per_image; (void)t0; (void)count; (void)v;
#endif
}

void argus_winograd_output(int avx512, const float *m, long cout, long co_begin, long co_end, long count, long t0,
                           long tiles_x, long tiles_per_image, long oh, long ow, float *out) {
#if defined(__x86_64__)
    if (avx512) z_output(m, cout, co_begin, co_end, count, t0, tiles_x, tiles_per_image, oh, ow, out);
    else y_output(m, cout, co_begin, co_end, count, t0, tiles_x, tiles_per_image, oh, ow, out);
#else
    (void)avx512; (void)m; (void)cout; (void)co_begin; (void)co_end; (void)count; (void)t0; (void)tiles_x;
    (void)tiles_per_image; (void)oh; (void)ow; (void)out;
#endif
}
