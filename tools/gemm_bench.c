// Times the convolution GEMM (Sources/CKernels/gemm.c) on one shape, for kernel work; the models' timings are
// `argus bench`'s. Build and run from the repository root:
//   clang -O2 -I Sources/CKernels/include -I Sources/CKernels tools/gemm_bench.c Sources/CKernels/gemm.c Sources/CKernels/activation.c -o /tmp/gemm_bench
//   /tmp/gemm_bench M N K ACT COPIES [AVX512]
// C[M x N] = A[M x K] B[K x N] with the epilogue ACT (an ARGUS_ACT_* code: 0 none, 1 ReLU, 3 SiLU, ...). COPIES sets
// of operands are used in turn: 1 keeps everything in cache; 8 of a large A make each call read its weights from
// memory, as a network's layers do. Prints the best and the mean of 100 calls in GFLOP/s.
#include "CKernels.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s M N K ACT COPIES [AVX512]\n", argv[0]);
        return 2;
    }
    const long m = atol(argv[1]), n = atol(argv[2]), k = atol(argv[3]);
    const int act = atoi(argv[4]), copies = atoi(argv[5]), avx512 = argc > 6 && atoi(argv[6]) != 0;
    if (m < 1 || n < 1 || k < 1 || copies < 1 || (avx512 && !argus_cpu_has_avx512f())) {
        fprintf(stderr, "bad shape, copies, or no AVX-512 on this CPU\n");
        return 2;
    }
    // As ArgusTensor's keepFreedMemoryInProcess: the GEMM's B buffer comes from the heap, not a fresh mmap.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    const long packed_size = argus_gemm_packed_size(avx512, m, k);
    float *a = malloc(sizeof(float) * m * k), *bias = malloc(sizeof(float) * m);
    float *b = malloc(sizeof(float) * k * n * copies), *c = malloc(sizeof(float) * m * n * copies);
    float *packed = aligned_alloc(64, sizeof(float) * (packed_size * copies + 16));
    if (!a || !bias || !b || !c || !packed) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (long i = 0; i < m * k; i++) a[i] = (float)(i % 7) * 0.1f - 0.3f;
    for (long i = 0; i < m; i++) bias[i] = (float)(i % 3) * 0.01f;
    for (long i = 0; i < k * n * copies; i++) b[i] = (float)(i % 5) * 0.1f - 0.2f;
    for (int cp = 0; cp < copies; cp++) argus_gemm_pack_a(avx512, m, k, a, k, packed + cp * packed_size);
    const int calls = 100;
    double best = 1e30, total = 0;
    for (int r = 0; r < calls; r++) {
        const int cp = r % copies;
        const double start = now();
        argus_gemm(avx512, m, n, k, packed + cp * packed_size, b + cp * k * n, n, c + cp * m * n, n, bias, act, 0.1f);
        const double elapsed = now() - start;
        total += elapsed;
        if (elapsed < best) best = elapsed;
    }
    const double flop = 2.0 * m * n * k;
    printf("%ldx%ldx%ld act %d copies %d: best %.3f ms %.1f GFLOP/s, mean %.1f GFLOP/s\n", m, n, k, act, copies,
           best * 1e3, flop / best * 1e-9, flop / (total / calls) * 1e-9);
    free(a);
    free(bias);
    free(b);
    free(c);
    free(packed);
    return 0;
}
