// Convolution GEMM: C[m x n] = A[m x k] * B[k x n] (+ bias per row, + activation), with A (the weights) packed
// once into panels of rows (8 for AVX-512, 6 for AVX2) and B (activations or im2col columns, row-major with stride ldb)
// read in place, or for products of PACK_MIN_ROWS rows or more copied tile by tile first.
//
// Every element of C is one chain of fused multiply-adds over k = 0, 1, ..., k-1 starting from zero, whatever
// its position in a tile, the tile sizes, the thread that runs it or the instruction set (AVX2 or AVX-512):
// the result is the same bits everywhere, so callers may cut the work as they like. The epilogue adds the bias
// after the last product, then applies the activation with the arithmetic of ArgusTensor's Swift kernels.
#include "CKernels.h"
#include "simd_ops.h"

#include <stdlib.h>

// K_BLOCK: the most B rows per k-block; a 48-column tile of 256 rows (48 KB) stays in L1/L2 across the panels.
// M_BLOCK (a multiple of both panel heights): the packed A rows a column tile meets stay in L2.
enum { K_BLOCK = 256, M_BLOCK = 96 };
// B is packed (copied contiguous, tile by tile) for products of at least PACK_MIN_ROWS rows, N_CHUNK columns
// (a multiple of both tile widths) at a time: a packed k-block of them (up to 480 KB) stays in L2 for every row block.
enum { PACK_MIN_ROWS = 64, N_CHUNK = 480 };

// Rows per packed panel: the register tile's height of each kernel.
static long panel_rows(int avx512) { return avx512 ? 8 : 6; }

long argus_gemm_packed_size(int avx512, long m, long k) {
    long panel = panel_rows(avx512);
    return (m + panel - 1) / panel * panel * k;
}

void argus_gemm_pack_a(int avx512, long m, long k, const float *a, long lda, float *packed) {
    long panel = panel_rows(avx512);
    for (long p = 0; p < m; p += panel) {
        float *dst = packed + p * k;
        long rows = m - p < panel ? m - p : panel;
        for (long kk = 0; kk < k; kk++) {
            for (long r = 0; r < rows; r++) dst[kk * panel + r] = a[(p + r) * lda + kk];
            for (long r = rows; r < panel; r++) dst[kk * panel + r] = 0;
        }
    }
}

#if defined(__x86_64__)
// Row kk of B: strided rows, or (argus_gemm_rows) each row at its own offset from b.
#define B_ROW(b, ldb, boff, kk) ((boff) ? (b) + (boff)[kk] : (b) + (kk) * (ldb))

// Columns j..j+cols of B's k rows into `dst`, one tile width (48 or 16 floats) per row (the last vector's lanes past
// `cols` zero; the kernel reads no further);
// vector moves per row, as a libc call per row costs more than the move.
Z_ATTR void z_pack_b_tile(long k, const float *b, long ldb, const long *boff, long j, long cols, float *dst) {
    const long vectors = (cols + 15) / 16;
    const __mmask16 tail = (__mmask16)((1u << (cols - 16 * (vectors - 1))) - 1);
    for (long kk = 0; kk < k; kk++) {
        const float *src = B_ROW(b, ldb, boff, kk) + j;
        float *row = dst + kk * 48;
        for (long v = 0; v < vectors; v++) {
            __mmask16 m = v == vectors - 1 ? tail : (__mmask16)0xFFFF;
            _mm512_store_ps(row + 16 * v, _mm512_maskz_loadu_ps(m, src + 16 * v));
        }
    }
}

Y_ATTR void y_pack_b_tile(long k, const float *b, long ldb, const long *boff, long j, long cols, float *dst) {
    const long vectors = (cols + 7) / 8;
    const __m256i tail = y_tail_mask(cols - 8 * (vectors - 1)), full = _mm256_set1_epi32(-1);
    for (long kk = 0; kk < k; kk++) {
        const float *src = B_ROW(b, ldb, boff, kk) + j;
        float *row = dst + kk * 16;
        for (long v = 0; v < vectors; v++)
            _mm256_store_ps(row + 8 * v, _mm256_maskload_ps(src + 8 * v, v == vectors - 1 ? tail : full));
    }
}

// ---- The last one or two columns of a product (NARROW_MAX; from three on a masked tile is as fast): per
// column, a matrix-vector product down the packed panels, up to 8 panels of R rows (6 for AVX2, 8 for AVX-512) at
// a time, one 8-lane vector per panel (R = 6: lanes 6 and 7 hold the next k's rows and are dropped). A masked
// 16-column tile would spend a whole tile's multiply-adds on one column. Each element is still its in-order chain
// of fused multiply-adds from zero, with the epilogue's arithmetic: the same bits as the tiles.
enum { NARROW_MAX = 2 };
Y_ATTR void y_narrow_panels(const int R, const int panels, long rows, long k, long panel_k, const float *a,
                            const float *b, long ldb, const long *boff, long col, float *c, long ldc, int first,
                            int last, const float *bias, int act, float slope) {
    __m256 acc[8];
    for (int g = 0; g < panels; g++) {
        long valid = rows - g * R < R ? rows - g * R : R;
        float t[8] = {0};
        if (!first)
            for (long r = 0; r < valid; r++) t[r] = c[(g * R + r) * ldc + col];
        acc[g] = _mm256_loadu_ps(t);
    }
    // With R = 6 the last k loads its rows only: a full vector could run past the end of the packed matrix.
    const long whole = R == 8 ? k : k - 1;
    for (long kk = 0; kk < whole; kk++) {
        __m256 bv = _mm256_broadcast_ss(B_ROW(b, ldb, boff, kk) + col);
        for (int g = 0; g < panels; g++)
            acc[g] = _mm256_fmadd_ps(_mm256_loadu_ps(a + g * R * panel_k + kk * R), bv, acc[g]);
    }
    if (whole < k) {
        __m256 bv = _mm256_broadcast_ss(B_ROW(b, ldb, boff, whole) + col);
        __m256i m = y_tail_mask(R);
        for (int g = 0; g < panels; g++)
            acc[g] = _mm256_fmadd_ps(_mm256_maskload_ps(a + g * R * panel_k + whole * R, m), bv, acc[g]);
    }
    for (int g = 0; g < panels; g++) {
        long valid = rows - g * R < R ? rows - g * R : R;
        __m256 y = acc[g];
        if (last) {
            if (bias) y = _mm256_add_ps(y, _mm256_maskload_ps(bias + g * R, y_tail_mask(valid)));
            EPILOGUE(y, y, act, slope);
        }
        float t[8];
        _mm256_storeu_ps(t, y);
        for (long r = 0; r < valid; r++) c[(g * R + r) * ldc + col] = t[r];
    }
}

Y_ATTR void y_narrow(const int R, long rows, long cols, long k, long panel_k, const float *a, const float *b,
                     long ldb, const long *boff, float *c, long ldc, int first, int last, const float *bias, int act,
                     float slope) {
    for (long col = 0; col < cols; col++)
        for (long p = 0; p < rows; p += 8 * R) {
            const long panels = (rows - p + R - 1) / R;
            const float *ap = a + p * panel_k, *bp = bias ? bias + p : 0;
            float *cp = c + p * ldc;
            switch (panels < 8 ? panels : 8) {
#define NARROW_CASE(P)                                                                                          \
    case P: y_narrow_panels(R, P, rows - p, k, panel_k, ap, b, ldb, boff, col, cp, ldc, first, last, bp, act, slope); break;
                NARROW_CASE(1) NARROW_CASE(2) NARROW_CASE(3) NARROW_CASE(4)
                NARROW_CASE(5) NARROW_CASE(6) NARROW_CASE(7) NARROW_CASE(8)
#undef NARROW_CASE
            }
        }
}

// ---- AVX-512: 8 rows x 48 columns (24 accumulators), columns in up to three 16-lane vectors.
// One tile: `rows` (only the first Z_ROWS count) rows of C from a packed panel, `vectors` (1..3) column
// vectors, the last one masked by `tail`. `first`: start from zero (else continue C's partial sums);
// `last`: bias + activation before the store. `next_a` (or NULL): the next panel's slice, fetched into L1 one
// k at a time while this tile runs. The block's first column tile meets each panel straight from memory (a
// model's weights are read once per image, so cold), and the hardware prefetcher starts too late on a new panel.
enum { Z_ROWS = 8 };
Z_ATTR void z_tile(const int vectors, long k, const float *a, const float *b, long ldb, const long *boff, float *c,
                   long ldc, long rows, __mmask16 tail, int first, int last, const float *bias, int act, float slope,
                   const float *next_a) {
    __m512 acc[Z_ROWS][3];
    __mmask16 m[3];
    for (int v = 0; v < 3; v++) m[v] = v == vectors - 1 ? tail : (__mmask16)0xFFFF;
    for (int r = 0; r < Z_ROWS; r++)
        for (int v = 0; v < vectors; v++)
            acc[r][v] = first || r >= rows ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m[v], c + r * ldc + 16 * v);
    for (long kk = 0; kk < k; kk++) {
        __m512 bv[3];
        const float *row = B_ROW(b, ldb, boff, kk);
        if (next_a) _mm_prefetch((const char *)(next_a + kk * Z_ROWS), _MM_HINT_T0);
        for (int v = 0; v < vectors; v++) bv[v] = _mm512_maskz_loadu_ps(m[v], row + 16 * v);
        for (int r = 0; r < Z_ROWS; r++) {
            __m512 av = _mm512_set1_ps(a[kk * Z_ROWS + r]);
            for (int v = 0; v < vectors; v++) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
        }
    }
    for (int r = 0; r < Z_ROWS && r < rows; r++) {
        for (int v = 0; v < vectors; v++) {
            __m512 y = acc[r][v];
            if (last) {
                if (bias) y = _mm512_add_ps(y, _mm512_set1_ps(bias[r]));
                EPILOGUE(z, y, act, slope);
            }
            _mm512_mask_storeu_ps(c + r * ldc + 16 * v, m[v], y);
        }
    }
}

// `packed_b`: B's k rows already copied tile by tile (tile t of 48 columns at packed_b + t * k * 48), or NULL to
// read B in place.
Z_ATTR void z_block(long rows, long n, long k, long panel_k, const float *a, const float *b, long ldb,
                    const long *boff, const float *packed_b, float *c, long ldc, int first, int last,
                    const float *bias, int act, float slope) {
    for (long j = 0; j < n; j += 48) {
        long left = n - j < 48 ? n - j : 48, vectors = (left + 15) / 16, lanes = left - 16 * (vectors - 1);
        __mmask16 tail = (__mmask16)((1u << lanes) - 1);
        const float *tb = packed_b ? packed_b + j * k : b + j;
        long tld = packed_b ? 48 : ldb;
        const long *toff = packed_b ? 0 : boff;
        if (left <= NARROW_MAX) {
            y_narrow(Z_ROWS, rows, left, k, panel_k, a, tb, tld, toff, c + j, ldc, first, last, bias, act, slope);
            continue;
        }
        for (long p = 0; p < rows; p += Z_ROWS) {
            const float *ap = a + p * panel_k, *bp = bias ? bias + p : 0;
            const float *na = j == 0 && p + Z_ROWS < rows ? ap + Z_ROWS * panel_k : 0;
            float *cp = c + p * ldc + j;
            if (vectors == 3) z_tile(3, k, ap, tb, tld, toff, cp, ldc, rows - p, tail, first, last, bp, act, slope, na);
            else if (vectors == 2) z_tile(2, k, ap, tb, tld, toff, cp, ldc, rows - p, tail, first, last, bp, act, slope, na);
            else z_tile(1, k, ap, tb, tld, toff, cp, ldc, rows - p, tail, first, last, bp, act, slope, na);
        }
    }
}

// ---- AVX2: R rows x 8 V columns of a 6-row panel, 12 accumulators: 6 x 16 (+ 2 B vectors + 1 broadcast of the 16
// registers) for whole panels, 2 x 48 for a last panel of 1-2 rows over unpacked B (6 x 16 would spend two thirds of
// its multiply-adds on zero rows there; a 4 x 24 tile for 3-4 rows measured slower than 6 x 16 and is not used).
// As z_tile; `masked` = 0 for whole tiles (plain loads and stores: AVX2's masked moves cost more), else the last
// vector takes `tail`.
enum { Y_ROWS = 6, Y_MAX_VECTORS = 6, Y_WIDE_COLS = 8 * Y_MAX_VECTORS };
Y_ATTR void y_tile(const int R, const int vectors, const int masked, long k, const float *a, const float *b, long ldb,
                   const long *boff, float *c, long ldc, long rows, __m256i tail, int first, int last,
                   const float *bias, int act, float slope, const float *next_a) {
    __m256 acc[Y_ROWS][Y_MAX_VECTORS];
    __m256i m[Y_MAX_VECTORS];
    for (int v = 0; v < vectors; v++) m[v] = v == vectors - 1 ? tail : _mm256_set1_epi32(-1);
    for (int r = 0; r < R; r++)
        for (int v = 0; v < vectors; v++)
            acc[r][v] = first || r >= rows ? _mm256_setzero_ps()
                        : masked         ? _mm256_maskload_ps(c + r * ldc + 8 * v, m[v])
                                         : _mm256_loadu_ps(c + r * ldc + 8 * v);
    const long tail_lanes = __builtin_popcount((unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(tail)));
    for (long kk = 0; kk < k; kk++) {
        __m256 bv[Y_MAX_VECTORS];
        const float *row = B_ROW(b, ldb, boff, kk);
        if (next_a) _mm_prefetch((const char *)(next_a + kk * Y_ROWS), _MM_HINT_T0);
        for (int v = 0; v < vectors; v++)
            bv[v] = masked ? _mm256_maskload_ps(row + 8 * v, m[v]) : _mm256_loadu_ps(row + 8 * v);
        for (int r = 0; r < R; r++) {
            __m256 av = _mm256_broadcast_ss(a + kk * Y_ROWS + r);
            for (int v = 0; v < vectors; v++) acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
        }
    }
    for (int r = 0; r < R && r < rows; r++) {
        for (int v = 0; v < vectors; v++) {
            __m256 y = acc[r][v];
            if (last) {
                if (bias) y = _mm256_add_ps(y, _mm256_set1_ps(bias[r]));
                EPILOGUE(y, y, act, slope);
            }
            if (masked && v == vectors - 1) y_store_lanes(c + r * ldc + 8 * v, y, tail_lanes);
            else _mm256_storeu_ps(c + r * ldc + 8 * v, y);
        }
    }
}

Y_ATTR void y_block(long rows, long n, long k, long panel_k, const float *a, const float *b, long ldb,
                    const long *boff, const float *packed_b, float *c, long ldc, int first, int last,
                    const float *bias, int act, float slope) {
    const __m256i full = _mm256_set1_epi32(-1);
    // A last panel of 1-2 rows over unpacked B: its whole 48-column runs go to 2 x 48 tiles first.
    const long tail_panel = rows / Y_ROWS * Y_ROWS, tail_rows = rows - tail_panel;
    long wide = 0;
    if (!packed_b && tail_rows > 0 && tail_rows <= 2) {
        wide = n / Y_WIDE_COLS * Y_WIDE_COLS;
        const float *ap = a + tail_panel * panel_k, *bp = bias ? bias + tail_panel : 0;
        float *cp = c + tail_panel * ldc;
        for (long j = 0; j < wide; j += Y_WIDE_COLS)
            y_tile(2, 6, 0, k, ap, b + j, ldb, boff, cp + j, ldc, tail_rows, full, first, last, bp, act, slope, 0);
    }
    for (long j = 0; j < n; j += 16) {
        long left = n - j < 16 ? n - j : 16, vectors = (left + 7) / 8;
        __m256i tail = y_tail_mask(left - 8 * (vectors - 1));
        const float *tb = packed_b ? packed_b + j * k : b + j;
        long tld = packed_b ? 16 : ldb;
        const long *toff = packed_b ? 0 : boff;
        if (left <= NARROW_MAX) {
            y_narrow(Y_ROWS, rows, left, k, panel_k, a, tb, tld, toff, c + j, ldc, first, last, bias, act, slope);
            continue;
        }
        for (long p = 0; p < (j < wide ? tail_panel : rows); p += Y_ROWS) {
            const float *ap = a + p * panel_k, *bp = bias ? bias + p : 0;
            const float *na = j == 0 && p + Y_ROWS < rows ? ap + Y_ROWS * panel_k : 0;
            float *cp = c + p * ldc + j;
            if (left == 16) y_tile(Y_ROWS, 2, 0, k, ap, tb, tld, toff, cp, ldc, rows - p, full, first, last, bp, act, slope, na);
            else if (vectors == 2) y_tile(Y_ROWS, 2, 1, k, ap, tb, tld, toff, cp, ldc, rows - p, tail, first, last, bp, act, slope, na);
            else y_tile(Y_ROWS, 1, 1, k, ap, tb, tld, toff, cp, ldc, rows - p, tail, first, last, bp, act, slope, na);
        }
    }
}

// The k-blocks and row blocks of one product, with the tile functions of the chosen width W (48 or 16 columns):
// A's packed columns k_start ..< k_start + k (of a matrix packed with k = panel_k) times B's k rows. `first`:
// chains start from zero (else they go on from C's sums); `last`: bias and activation after the final product.
// With PACK_MIN_ROWS rows or more, each k-block of B is first copied tile by tile into one contiguous buffer that
// every row block then reads (instead of k rows scattered over as many pages, copied once, not once per row
// block). `boff` is a literal NULL in the strided entry points, so its test leaves their inner loops.
#define GEMM_BLOCKS(W, block, pack_tile)                                                                       \
    /* k-blocks of equal depth up to K_BLOCK: 576 as 288 + 288, not 512 + 64. */                             \
    const long depth = (k + (k + K_BLOCK - 1) / K_BLOCK - 1) / ((k + K_BLOCK - 1) / K_BLOCK);              \
    float *packed_b = 0;                                                                                       \
    if (m >= PACK_MIN_ROWS)                                                                                    \
        packed_b = aligned_alloc(64, (size_t)((n < N_CHUNK ? n : N_CHUNK) + W - 1) / W * W * depth * sizeof(float)); \
    for (long n0 = 0; n0 < n; n0 += N_CHUNK) {                                                               \
        long nc = n - n0 < N_CHUNK ? n - n0 : N_CHUNK;                                                       \
        for (long k0 = 0; k0 < k; k0 += depth) {                                                             \
            long kc = k - k0 < depth ? k - k0 : depth;                                                       \
            int f = first && k0 == 0, l = last && k0 + kc == k;                                              \
            const float *bb = (boff ? b : b + k0 * ldb) + n0;                                                \
            const long *bo = boff ? boff + k0 : 0;                                                           \
            if (packed_b)                                                                                    \
                for (long j = 0; j < nc; j += W)                                                             \
                    pack_tile(kc, bb, ldb, bo, j, nc - j < W ? nc - j : W, packed_b + j * kc);               \
            for (long m0 = 0; m0 < m; m0 += M_BLOCK) {                                                       \
                long mc = m - m0 < M_BLOCK ? m - m0 : M_BLOCK;                                               \
                /* Panel of rows m0.. starts at m0 * panel_k; within a panel each k holds one float per row. */ \
                const float *a = packed_a + m0 * panel_k + (k_start + k0) * rows_per_panel;                  \
                const float *bi = bias && l ? bias + m0 : 0;                                                 \
                block(mc, nc, kc, panel_k, a, bb, ldb, bo, packed_b, c + m0 * ldc + n0, ldc, f, l, bi, act, slope); \
            }                                                                                                \
        }                                                                                                    \
    }                                                                                                        \
    free(packed_b);

__attribute__((target("avx512f")))
static void z_gemm(long m, long n, long k_start, long k, long panel_k, const float *packed_a, const float *b,
                   long ldb, const long *boff, float *c, long ldc, int first, int last, const float *bias, int act,
                   float slope) {
    const long rows_per_panel = Z_ROWS;
    if (boff) { GEMM_BLOCKS(48, z_block, z_pack_b_tile) } else { const long *boff = 0; GEMM_BLOCKS(48, z_block, z_pack_b_tile) }
}

__attribute__((target("avx2,fma")))
static void y_gemm(long m, long n, long k_start, long k, long panel_k, const float *packed_a, const float *b,
                   long ldb, const long *boff, float *c, long ldc, int first, int last, const float *bias, int act,
                   float slope) {
    const long rows_per_panel = Y_ROWS;
    if (boff) { GEMM_BLOCKS(16, y_block, y_pack_b_tile) } else { const long *boff = 0; GEMM_BLOCKS(16, y_block, y_pack_b_tile) }
}
#endif

void argus_gemm(int avx512, long m, long n, long k, const float *packed_a, const float *b, long ldb, float *c,
                long ldc, const float *bias, int act, float slope) {
    // k in blocks (the B rows of a tile stay in L1/L2), rows in blocks whose packed A stays in L2; partial sums
    // go through C, which keeps each element's chain of multiply-adds in order.
    argus_gemm_part(avx512, m, n, 0, k, k, packed_a, b, ldb, c, ldc, 1, 1, bias, act, slope);
}

void argus_gemm_part(int avx512, long m, long n, long k_start, long k, long panel_k, const float *packed_a,
                     const float *b, long ldb, float *c, long ldc, int first, int last, const float *bias, int act,
                     float slope) {
#if defined(__x86_64__)
    if (avx512) z_gemm(m, n, k_start, k, panel_k, packed_a, b, ldb, 0, c, ldc, first, last, bias, act, slope);
    else y_gemm(m, n, k_start, k, panel_k, packed_a, b, ldb, 0, c, ldc, first, last, bias, act, slope);
#else
    (void)avx512; (void)m; (void)n; (void)k_start; (void)k; (void)panel_k; (void)packed_a; (void)b; (void)ldb;
    (void)c; (void)ldc; (void)first; (void)last; (void)bias; (void)act; (void)slope;
#endif
}

void argus_gemm_rows(int avx512, long m, long n, long k, const float *packed_a, const float *b,
                     const long *row_offsets, float *c, long ldc, const float *bias, int act, float slope) {
#if defined(__x86_64__)
    if (avx512) z_gemm(m, n, 0, k, k, packed_a, b, 0, row_offsets, c, ldc, 1, 1, bias, act, slope);
    else y_gemm(m, n, 0, k, k, packed_a, b, 0, row_offsets, c, ldc, 1, 1, bias, act, slope);
#else
    (void)avx512; (void)m; (void)n; (void)k; (void)packed_a; (void)b; (void)row_offsets; (void)c; (void)ldc;
    (void)bias; (void)act; (void)slope;
#endif
}
