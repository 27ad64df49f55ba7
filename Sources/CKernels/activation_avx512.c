// AVX-512 versions of hot elementwise epilogues, chosen at run time (the binary's baseline is AVX2 + FMA).
// Each does exactly the operations of its Swift twin in ArgusTensor, per lane, so the result is the same bits
// on AVX-512 and AVX2 machines; a test compares the two.
#include "CKernels.h"
#include "simd_ops.h"

#if defined(__x86_64__)

int argus_cpu_has_avx512f(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

// SiLU with the shared epilogue arithmetic (simd_ops.h: vexpForLogistic and x / (1 + e^-x) as in Swift).
__attribute__((target("avx512f")))
static inline __m512 silu16(__m512 y) {
    SILU_BODY(z, y);
    return y;
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
