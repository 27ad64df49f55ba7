// Vector helpers shared by the C kernels: the same operations at 16 lanes (z_, AVX-512) and 8 lanes (y_,
// AVX2 + FMA), and the activation epilogue written once over them, so both widths give the same bits.
#ifndef ARGUS_SIMD_OPS_H
#define ARGUS_SIMD_OPS_H
#if defined(__x86_64__)
#include <immintrin.h>

// ---- Epilogue arithmetic shared by both widths, written once as macros over the vector type's intrinsics.
// SiLU is y / (1 + e^-y) with vexpForLogistic (ArgusTensor/VectorMath.swift) operation for operation: y
// clamped to [-88.75, 20], e^-y = 2^(k/8) e^r with k = round(-y 8 / ln 2), |r| <= ln 2 / 16, e^r a cubic, and
// 2^(k/8) one integer add of k's bits to a row of the eight-entry table (P##_exp2_eighths).
#define SILU_BODY(P, y)                                                                             \
    do {                                                                                            \
        const P##_t magic = P##_set1(12582912.0f);                                                  \
        P##_t c = P##_max(P##_set1(-88.75f), y);                                                    \
        c = P##_min(P##_set1(20.0f), c);                                                            \
        P##_t shifted = P##_fmadd(c, P##_set1(-11.5415603271117f), magic);                          \
        P##_t n = P##_sub(shifted, magic);                                                          \
        P##_t r = P##_fnmsub(n, P##_set1(0.086669921875f), c);                                      \
        r = P##_fmadd(n, P##_set1(2.6524305e-5f), r);                                               \
        P##_t p = P##_fmadd(P##_set1(1.666510254e-1f), r, P##_set1(5.000782013e-1f));              \
        p = P##_fmadd(p, r, P##_set1(1.0f));                                                        \
        p = P##_fmadd(p, r, P##_set1(1.0f));                                                        \
        y = P##_div(y, P##_add(P##_set1(1.0f), P##_mul(p, P##_exp2_eighths(shifted))));             \
    } while (0)

// Sigmoid is 1 / (1 + e^-y) with vexp (ArgusTensor/VectorMath.swift) operation for operation: the argument
// clamped to [-103, 89] and 2^n applied as two factors, so e^-y under- and overflows exactly where it should.
#define SIGMOID_BODY(P, y)                                                                          \
    do {                                                                                            \
        const P##_t magic = P##_set1(12582912.0f);                                                  \
        P##_t t = P##_sub(P##_zero(), y);                                                           \
        t = P##_blend_lt(t, P##_set1(-103.0f), t, P##_set1(-103.0f));                               \
        t = P##_blend_gt(t, P##_set1(89.0f), t, P##_set1(89.0f));                                   \
        P##_t shifted = P##_fmadd(t, P##_set1(1.44269504088896341f), magic);                        \
        P##_t n = P##_sub(shifted, magic);                                                          \
        P##_t v = P##_fmadd(n, P##_set1(-0.693359375f), t);                                         \
        v = P##_fmadd(n, P##_set1(2.12194440e-4f), v);                                              \
        P##_t z = P##_mul(v, v);                                                                    \
        P##_t p = P##_set1(1.9875691500e-4f);                                                       \
        p = P##_fmadd(p, v, P##_set1(1.3981999507e-3f));                                            \
        p = P##_fmadd(p, v, P##_set1(8.3334519073e-3f));                                            \
        p = P##_fmadd(p, v, P##_set1(4.1665795894e-2f));                                            \
        p = P##_fmadd(p, v, P##_set1(1.6666665459e-1f));                                            \
        p = P##_fmadd(p, v, P##_set1(5.0000001201e-1f));                                            \
        p = P##_fmadd(p, z, P##_add(v, P##_set1(1.0f)));                                            \
        P##_t scale_a, scale_b;                                                                     \
        P##_two_scales(shifted, magic, &scale_a, &scale_b);                                         \
        P##_t e = P##_mul(P##_mul(p, scale_a), scale_b);                                            \
        y = P##_div(P##_set1(1.0f), P##_add(P##_set1(1.0f), e));                                    \
    } while (0)

// ReLU family: compare-and-replace like the Swift kernels (NaN stays NaN: a NaN lane fails every compare).
#define EPILOGUE(P, y, act, slope)                                                                  \
    do {                                                                                            \
        switch (act) {                                                                              \
        case ARGUS_ACT_NONE: break;                                                                 \
        case ARGUS_ACT_RELU: y = P##_blend_lt(y, P##_zero(), y, P##_zero()); break;                 \
        case ARGUS_ACT_RELU6:                                                                       \
            y = P##_blend_lt(y, P##_zero(), y, P##_zero());                                         \
            y = P##_blend_gt(y, P##_set1(6.0f), y, P##_set1(6.0f));                                 \
            break;                                                                                  \
        case ARGUS_ACT_SILU: SILU_BODY(P, y); break;                                                \
        case ARGUS_ACT_SIGMOID: SIGMOID_BODY(P, y); break;                                          \
        case ARGUS_ACT_HARDSWISH: {                                                                 \
            P##_t h = P##_add(y, P##_set1(3.0f));                                                   \
            h = P##_blend_lt(h, P##_zero(), h, P##_zero());                                         \
            h = P##_blend_gt(h, P##_set1(6.0f), h, P##_set1(6.0f));                                 \
            y = P##_div(P##_mul(y, h), P##_set1(6.0f));                                             \
            break;                                                                                  \
        }                                                                                           \
        case ARGUS_ACT_HARDSIGMOID: {                                                               \
            P##_t h = P##_add(y, P##_set1(3.0f));                                                   \
            h = P##_blend_lt(h, P##_zero(), h, P##_zero());                                         \
            h = P##_blend_gt(h, P##_set1(6.0f), h, P##_set1(6.0f));                                 \
            y = P##_div(h, P##_set1(6.0f));                                                         \
            break;                                                                                  \
        }                                                                                           \
        case ARGUS_ACT_LEAKY_RELU:                                                                  \
            y = P##_blend_le(y, P##_zero(), y, P##_mul(y, P##_set1(slope)));                        \
            break;                                                                                  \
        }                                                                                           \
    } while (0)

// 2^(k/8) for the rounding trick's sum `shifted` (bits 0x4B400000 + k): shifted << 20 is k << 20, which is
// (k >> 3) << 23 (the exponent) plus (k & 7) << 20; the table (twice over, for 16 lanes) row k & 7 holds 2^((k & 7)/8) less that part.
// k = 1024 gives +inf exactly (table row 0 is 1.0), as e^-y overflows there.
static const int exp2_eighths_table[16] = {
    0x3F800000, 0x3F8B95C2 - (1 << 20), 0x3F9837F0 - (2 << 20), 0x3FA5FED7 - (3 << 20),
    0x3FB504F3 - (4 << 20), 0x3FC5672A - (5 << 20), 0x3FD744FD - (6 << 20), 0x3FEAC0C7 - (7 << 20),
    0x3F800000, 0x3F8B95C2 - (1 << 20), 0x3F9837F0 - (2 << 20), 0x3FA5FED7 - (3 << 20),
    0x3FB504F3 - (4 << 20), 0x3FC5672A - (5 << 20), 0x3FD744FD - (6 << 20), 0x3FEAC0C7 - (7 << 20)};

#define Z_ATTR __attribute__((target("avx512f"), always_inline)) static inline
typedef __m512 z_t;
Z_ATTR z_t z_set1(float x) { return _mm512_set1_ps(x); }
Z_ATTR z_t z_zero(void) { return _mm512_setzero_ps(); }
Z_ATTR z_t z_add(z_t a, z_t b) { return _mm512_add_ps(a, b); }
Z_ATTR z_t z_sub(z_t a, z_t b) { return _mm512_sub_ps(a, b); }
Z_ATTR z_t z_mul(z_t a, z_t b) { return _mm512_mul_ps(a, b); }
Z_ATTR z_t z_div(z_t a, z_t b) { return _mm512_div_ps(a, b); }
Z_ATTR z_t z_max(z_t a, z_t b) { return _mm512_max_ps(a, b); }
Z_ATTR z_t z_min(z_t a, z_t b) { return _mm512_min_ps(a, b); }
Z_ATTR z_t z_fmadd(z_t a, z_t b, z_t c) { return _mm512_fmadd_ps(a, b, c); }
Z_ATTR z_t z_fnmsub(z_t a, z_t b, z_t c) { return _mm512_fnmsub_ps(a, b, c); }
Z_ATTR z_t z_exp2_eighths(z_t shifted) {
    const __m512i table = _mm512_loadu_si512(exp2_eighths_table);
    __m512i bits = _mm512_castps_si512(shifted);
    return _mm512_castsi512_ps(_mm512_add_epi32(_mm512_permutexvar_epi32(bits, table), _mm512_slli_epi32(bits, 20)));
}
Z_ATTR z_t z_scale_from_shifted(z_t shifted) {
    __m512i bits = _mm512_slli_epi32(_mm512_castps_si512(shifted), 23);
    return _mm512_castsi512_ps(_mm512_add_epi32(bits, _mm512_set1_epi32(127 << 23)));
}
// 2^n as two factors 2^(n/2) and 2^(n - n/2), n from the rounding trick's bits (shifted - magic as integers).
Z_ATTR void z_two_scales(z_t shifted, z_t magic, z_t *a, z_t *b) {
    __m512i n = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_castps_si512(magic));
    __m512i half = _mm512_srai_epi32(n, 1), bias = _mm512_set1_epi32(127);
    *a = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(half, bias), 23));
    *b = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_sub_epi32(n, half), bias), 23));
}
// x < y ? r : keep (and the > and <= forms), ordered compares: false for NaN.
Z_ATTR z_t z_blend_lt(z_t x, z_t y, z_t keep, z_t r) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, y, _CMP_LT_OQ), keep, r);
}
Z_ATTR z_t z_blend_gt(z_t x, z_t y, z_t keep, z_t r) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, y, _CMP_GT_OQ), keep, r);
}
Z_ATTR z_t z_blend_le(z_t x, z_t y, z_t keep, z_t r) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, y, _CMP_LE_OQ), keep, r);
}

#define Y_ATTR __attribute__((target("avx2,fma"), always_inline)) static inline
typedef __m256 y_t;
Y_ATTR y_t y_set1(float x) { return _mm256_set1_ps(x); }
Y_ATTR y_t y_zero(void) { return _mm256_setzero_ps(); }
Y_ATTR y_t y_add(y_t a, y_t b) { return _mm256_add_ps(a, b); }
Y_ATTR y_t y_sub(y_t a, y_t b) { return _mm256_sub_ps(a, b); }
Y_ATTR y_t y_mul(y_t a, y_t b) { return _mm256_mul_ps(a, b); }
Y_ATTR y_t y_div(y_t a, y_t b) { return _mm256_div_ps(a, b); }
Y_ATTR y_t y_max(y_t a, y_t b) { return _mm256_max_ps(a, b); }
Y_ATTR y_t y_min(y_t a, y_t b) { return _mm256_min_ps(a, b); }
Y_ATTR y_t y_fmadd(y_t a, y_t b, y_t c) { return _mm256_fmadd_ps(a, b, c); }
Y_ATTR y_t y_fnmsub(y_t a, y_t b, y_t c) { return _mm256_fnmsub_ps(a, b, c); }
Y_ATTR y_t y_exp2_eighths(y_t shifted) {
    const __m256i table = _mm256_loadu_si256((const __m256i *)exp2_eighths_table);
    __m256i bits = _mm256_castps_si256(shifted);
    return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_permutevar8x32_epi32(table, bits), _mm256_slli_epi32(bits, 20)));
}
Y_ATTR y_t y_scale_from_shifted(y_t shifted) {
    __m256i bits = _mm256_slli_epi32(_mm256_castps_si256(shifted), 23);
    return _mm256_castsi256_ps(_mm256_add_epi32(bits, _mm256_set1_epi32(127 << 23)));
}
Y_ATTR void y_two_scales(y_t shifted, y_t magic, y_t *a, y_t *b) {
    __m256i n = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_castps_si256(magic));
    __m256i half = _mm256_srai_epi32(n, 1), bias = _mm256_set1_epi32(127);
    *a = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, bias), 23));
    *b = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(n, half), bias), 23));
}
Y_ATTR y_t y_blend_lt(y_t x, y_t y, y_t keep, y_t r) { return _mm256_blendv_ps(keep, r, _mm256_cmp_ps(x, y, _CMP_LT_OQ)); }
Y_ATTR y_t y_blend_gt(y_t x, y_t y, y_t keep, y_t r) { return _mm256_blendv_ps(keep, r, _mm256_cmp_ps(x, y, _CMP_GT_OQ)); }
Y_ATTR y_t y_blend_le(y_t x, y_t y, y_t keep, y_t r) { return _mm256_blendv_ps(keep, r, _mm256_cmp_ps(x, y, _CMP_LE_OQ)); }

// The first `lanes` lanes of v (all of them from 8 on, none from 0 down) to p, nothing past them. AVX2's masked
// store (vmaskmovps) is microcoded on AMD's CPUs, tens of cycles each; these plain stores cost a few.
Y_ATTR void y_store_lanes(float *p, __m256 v, long lanes) {
    if (lanes >= 8) {
        _mm256_storeu_ps(p, v);
        return;
    }
    __m128 x = _mm256_castps256_ps128(v);
    if (lanes >= 4) {
        _mm_storeu_ps(p, x);
        x = _mm256_extractf128_ps(v, 1);
        p += 4;
        lanes -= 4;
    }
    if (lanes >= 2) {
        _mm_storel_pi((__m64 *)p, x);
        x = _mm_movehl_ps(x, x);
        p += 2;
        lanes -= 2;
    }
    if (lanes >= 1) _mm_store_ss(p, x);
}

Y_ATTR __m256i y_tail_mask(long lanes) {
    const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)lanes), index);
}

#endif
#endif
