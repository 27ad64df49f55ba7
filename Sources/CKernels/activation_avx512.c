// AVX-512 versions of hot elementwise epilogues, chosen at run time (the binary's baseline is AVX2 + FMA).
// Each does exactly the operations of its Swift twin in ArgusTensor, per lane, so the result is the same bits
// on AVX-512 and AVX2 machines; a test compares the two.
#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

int argus_cpu_has_avx512f(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

// vexpForLogistic + SiLU (ArgusTensor/VectorMath.swift, Activation.swift): y / (1 + e^-y), e^t with t clamped to
// [-20, 89], the 1.5 * 2^23 rounding trick, ln 2 in two parts, a degree-5 polynomial, 2^n from the low bits.
__attribute__((target("avx512f")))
static inline __m512 silu16(__m512 y) {
    const __m512 magic = _mm512_set1_ps(12582912.0f);
    __m512 t = _mm512_sub_ps(_mm512_setzero_ps(), y);
    // max/min with the constant first: a NaN lane stays NaN, as the Swift compare-and-replace leaves it.
    t = _mm512_max_ps(_mm512_set1_ps(-20.0f), t);
    t = _mm512_min_ps(_mm512_set1_ps(89.0f), t);
    __m512 shifted = _mm512_fmadd_ps(t, _mm512_set1_ps(1.44269504088896341f), magic);
    __m512 n = _mm512_sub_ps(shifted, magic);
    __m512 v = _mm512_fmadd_ps(n, _mm512_set1_ps(-0.693359375f), t);
    v = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), v);
    __m512 z = _mm512_mul_ps(v, v);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, v, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, v, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, v, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, v, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, v, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, z, _mm512_add_ps(v, _mm512_set1_ps(1.0f)));
    __m512i bits = _mm512_slli_epi32(_mm512_castps_si512(shifted), 23);
    __m512 scale = _mm512_castsi512_ps(_mm512_add_epi32(bits, _mm512_set1_epi32(127 << 23)));
    return _mm512_div_ps(y, _mm512_add_ps(_mm512_set1_ps(1.0f), _mm512_mul_ps(p, scale)));
}

__attribute__((target("avx512f")))
void argus_bias_silu_avx512(float *p, long count, float bias) {
    const __m512 b = _mm512_set1_ps(bias);
    long i = 0;
    for (; i + 32 <= count; i += 32) {
        __m512 a0 = _mm512_loadu_ps(p + i), a1 = _mm512_loadu_ps(p + i + 16);
        _mm512_storeu_ps(p + i, silu16(_mm512_add_ps(a0, b)));
        _mm512_storeu_ps(p + i + 16, silu16(_mm512_add_ps(a1, b)));
    }
    for (; i < count; i += 16) {
        long left = count - i;
        __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        _mm512_mask_storeu_ps(p + i, m, silu16(_mm512_add_ps(_mm512_maskz_loadu_ps(m, p + i), b)));
    }
}

#else

int argus_cpu_has_avx512f(void) { return 0; }

void argus_bias_silu_avx512(float *p, long count, float bias) { (void)p; (void)count; (void)bias; }

#endif
