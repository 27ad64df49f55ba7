#ifndef ARGUS_CKERNELS_H
#define ARGUS_CKERNELS_H

/// 1 when the CPU and OS support AVX-512F (checked once by the caller); the binary's baseline is AVX2 + FMA.
int argus_cpu_has_avx512f(void);

/// p[i] = silu(p[i] + bias) for i in 0..<count with the GEMM epilogue's arithmetic, sixteen lanes at a time
/// (avx512 = 1, only where argus_cpu_has_avx512f()) or eight (avx512 = 0, AVX2 + FMA): the same bits either way,
/// lane for lane those of ArgusTensor's portable `Biased<SiLU>`. x86-64 only.
void argus_bias_silu(int avx512, float *p, long count, float bias);

/// Activations the GEMM epilogue applies (ArgusTensor's `Activation` cases with the same arithmetic).
enum {
    ARGUS_ACT_NONE = 0,
    ARGUS_ACT_RELU = 1,
    ARGUS_ACT_RELU6 = 2,
    ARGUS_ACT_SILU = 3,
    ARGUS_ACT_HARDSWISH = 4,
    ARGUS_ACT_HARDSIGMOID = 5,
    ARGUS_ACT_LEAKY_RELU = 6,
    ARGUS_ACT_SIGMOID = 7,
};

/// Floats needed to pack an m x k matrix for argus_gemm with the AVX-512 (avx512 = 1) or AVX2 kernel.
long argus_gemm_packed_size(int avx512, long m, long k);

/// Packs row-major A[m x k] (leading dimension lda) into panels of the kernel's register-tile height, k-major
/// within a panel, zero-padded, for argus_gemm with the same `avx512`.
void argus_gemm_pack_a(int avx512, long m, long k, const float *a, long lda, float *packed);

/// C[m x n] = A * B[k x n] (+ bias[row]) then the activation (slope: leaky ReLU's). A was packed by
/// argus_gemm_pack_a; B and C are row-major with leading dimensions ldb and ldc; bias may be NULL.
/// Each element is the in-order chain of fused multiply-adds over k from zero: the same bits for any tiling,
/// thread split, or the AVX2 (avx512 = 0) and AVX-512 (avx512 = 1, only where the CPU has it) kernels.
void argus_gemm(int avx512, long m, long n, long k, const float *packed_a, const float *b, long ldb, float *c,
                long ldc, const float *bias, int act, float slope);

/// Part of argus_gemm's sum: A's packed columns k_start ..< k_start + k (A packed with k = panel_k) times B[k x n].
/// first = 1: each element's chain starts from zero, else it goes on from C's value; last = 1: bias and
/// activation follow the final product. Calls over consecutive column runs (first on the first, last on the last)
/// give each element the same chain, and so the same bits, as one argus_gemm over them all: a convolution adds its
/// kernel taps one at a time, leaving out those that read only zero padding.
void argus_gemm_part(int avx512, long m, long n, long k_start, long k, long panel_k, const float *packed_a,
                     const float *b, long ldb, float *c, long ldc, int first, int last, const float *bias, int act,
                     float slope);

/// argus_gemm with B's row kk at b + row_offsets[kk] (columns contiguous): a stride-1 convolution straight from
/// its (zero-bordered) input, row kk being input channel c's row shifted by the tap (c, i, j), with no im2col.
void argus_gemm_rows(int avx512, long m, long n, long k, const float *packed_a, const float *b,
                     const long *row_offsets, float *c, long ldc, const float *bias, int act, float slope);

/// One plane of a depthwise convolution (column stride 1 or 2, kw <= 7): out[out_h x out_w] from in[in_h x in_w] and the
/// kh x kw filter w, with strides, zero padding and dilation as in torch, plus bias and the activation. Taps are
/// summed in order (kernel row, then column) with fused multiply-adds: the same bits on AVX2 and AVX-512.
void argus_depthwise_plane(int avx512, const float *in, long in_h, long in_w, const float *w, long kh, long kw,
                           long sh, long sw, long ph, long pw, long dh, long dw, float bias, int act, float slope,
                           float *out, long out_h, long out_w);

/// Winograd F(2x2, 3x3) input transform of tiles t0 ..< t0 + count (tile t: image t / tiles_per_image, tile row
/// and column of t % tiles_per_image over tiles_x columns; its 4x4 patch starts at input row 2 * row - pad, column
/// 2 * column - pad, zero outside) of the NCHW input x [*, cin, h, w]: v[xi][ci][j] for the 16 positions xi,
/// channels c_begin ..< c_end.
void argus_winograd_input(int avx512, const float *x, long cin, long c_begin, long c_end, long h, long w, long pad,
                          long tiles_x, long tiles_per_image, long t0, long count, float *v);

/// Winograd F(2x2, 3x3) output transform of the same tiles' products m[xi][co][j] into their 2x2 output blocks of
/// out [*, cout, oh, ow] (blocks cut at the plane's edge), channels co_begin ..< co_end. Adds and subtracts only:
/// the same bits on both ISAs.
void argus_winograd_output(int avx512, const float *m, long cout, long co_begin, long co_end, long count, long t0,
                           long tiles_x, long tiles_per_image, long oh, long ow, float *out);

// Thread placement for the engine's worker pool. Left to itself, the scheduler was seen to keep a helper and the
// thread handing it work on one CPU for seconds while the other idled: two threads as slow as one.

/// The CPU the calling thread runs on (-1 where unknown).
int argus_current_cpu(void);

/// The CPU for the engine's helper thread number `index` (1, 2, ...): one of the process's affinity mask, consecutive
/// ones from an offset set by the process id; -1 when the mask has no more CPUs than `index` (then none is pinned).
int argus_helper_cpu(long index);

/// Pins the calling thread to `cpu`; returns 1 if done.
int argus_pin_to_cpu(int cpu);

/// When the calling thread runs on one of `cpus` (the helpers' CPUs), moves it to another CPU of its mask and
/// leaves the mask as it was; returns 1 if it moved.
int argus_move_off_cpus(const int *cpus, long n);

/// A spin-wait hint (x86 `pause`): lets the sibling hyper-thread run and saves power while a thread polls.
static inline void argus_cpu_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

#endif
