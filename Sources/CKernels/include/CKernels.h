#ifndef ARGUS_CKERNELS_H
#define ARGUS_CKERNELS_H

/// 1 when the CPU and OS support AVX-512F (checked once by the caller); the binary's baseline is AVX2 + FMA.
int argus_cpu_has_avx512f(void);

/// p[i] = silu(p[i] + bias) for i in 0..<count, with the AVX2 Swift kernel's arithmetic lane for lane
/// (ArgusTensor's `Biased<SiLU>`), sixteen lanes at a time. Only call when argus_cpu_has_avx512f().
void argus_bias_silu_avx512(float *p, long count, float bias);

/// A spin-wait hint (x86 `pause`): lets the sibling hyper-thread run and saves power while a thread polls.
static inline void argus_cpu_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

#endif
