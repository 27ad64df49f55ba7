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
