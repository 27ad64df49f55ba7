import CBLAS

/// C[m x n] = A[m x k] * B[k x n] (row-major, with leading dimensions), overwriting C.
@inline(__always)
func sgemm(m: Int, n: Int, k: Int,
           a: UnsafePointer<Float>, lda: Int,
           b: UnsafePointer<Float>, ldb: Int,
           c: UnsafeMutablePointer<Float>, ldc: Int,
           transposeB: Bool = false) {
    EngineThreads.prepare()  // OpenBLAS single-threaded before its first call
    cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
}

/// sgemm as tiles of `ConvPartition.smallTile` (each within OpenBLAS's small-matrix kernel, which
/// is faster for these shapes), or one call when K > 512. The tiling depends only on the sizes.
@inline(__always)
func tiledSgemm(m: Int, n: Int, k: Int,
                a: UnsafePointer<Float>, lda: Int,
                b: UnsafePointer<Float>, ldb: Int,
                c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard let tile = ConvPartition.smallTile(m: m, k: k, plane: n) else {
        return sgemm(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
    }
    var col0 = 0
    while col0 < n {
        let cols = min(tile.width, n - col0)
        var r0 = 0
        while r0 < m {
            let rows = min(tile.height, m - r0)
            sgemm(m: rows, n: cols, k: k, a: a + r0 * lda, lda: lda, b: b + col0, ldb: ldb,
                  c: c + r0 * ldc + col0, ldc: ldc)
            r0 += rows
        }
        col0 += cols
    }
}
