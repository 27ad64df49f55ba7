// The SiLU pass outside the GEMM (depthwise, Winograd and elementwise epilogues) with the GEMM epilogue's
// arithmetic (simd_ops.h), at 8 (AVX2) or 16 (AVX-512) lanes: the same bits either way, and the same as the
// portable Swift twin `Biased<SiLU>` (ArgusTensor); a test compares them.
#include "CKernels.h"
#include "simd_ops.h"

#if defined(__x86_64__)

int argus_cpu_has_avx512f(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

__attribute__((target("avx512f")))
static inline __m512 silu16(__m512 y) {
    SILU_BODY(z, y);
    return y;
}

__attribute__((target("avx512f")))
static void bias_silu16(float *p, long count, float bias) {
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

__attribute__((target("avx2,fma")))
static inline __m256 silu8(__m256 y) {
    SILU_BODY(y, y);
    return y;
}

__attribute__((target("avx2,fma")))
static void bias_silu8(float *p, long count, float bias) {
    const __m256 b = _mm256_set1_ps(bias);
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        __m256 a0 = _mm256_loadu_ps(p + i), a1 = _mm256_loadu_ps(p + i + 8);
        _mm256_storeu_ps(p + i, silu8(_mm256_add_ps(a0, b)));
        _mm256_storeu_ps(p + i + 8, silu8(_mm256_add_ps(a1, b)));
    }
    for (; i < count; i += 8) {
        __m256i m = y_tail_mask(count - i);
        y_store_lanes(p + i, silu8(_mm256_add_ps(_mm256_maskload_ps(p + i, m), b)), count - i);
    }
}

void argus_bias_silu(int avx512, float *p, long count, float bias) {
    if (avx512) bias_silu16(p, count, bias);
    else bias_silu8(p, count, bias);
}

#else

int argus_cpu_has_avx512f(void) { return 0; }

void argus_bias_silu(int avx512, float *p, long count, float bias) {
    (void)avx512; (void)p; (void)count; (void)bias;
}

#endif
