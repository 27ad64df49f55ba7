import CBLAS
import CKernels

/// C[m x n] = A[m x k] * B[k x n] (row-major, with leading dimensions), overwriting C, on OpenBLAS:
/// the fully connected layers.
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

/// A convolution's weight matrices ([m x k] per group) packed for `ConvGEMM.multiply`: panels of the
/// register tile's height, so the kernel reads them with one moving pointer.
struct PackedWeights {
    let m: Int, k: Int, groups: Int
    let perGroup: Int
    let storage: UnsafeMutablePointer<Float>

    /// weights: groups x [m x k], row-major. Free with `deallocate()`.
    init(_ weights: UnsafePointer<Float>, m: Int, k: Int, groups: Int) {
        self.m = m; self.k = k; self.groups = groups
        perGroup = argus_gemm_packed_size(ConvGEMM.avx512 ? 1 : 0, m, k)
        storage = .allocate(capacity: perGroup * groups)
        for g in 0..<groups {
            argus_gemm_pack_a(ConvGEMM.avx512 ? 1 : 0, m, k, weights + g * m * k, k, storage + g * perGroup)
        }
    }

    /// One group's [m x (channels * taps)] filter, columns (c, t), packed with its columns in the order (t, c):
    /// each tap's columns are one run (`ConvGEMM.multiplySegments`).
    init(tapMajor weights: UnsafePointer<Float>, m: Int, channels: Int, taps: Int) {
        let k = channels * taps
        let reordered = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        defer { reordered.deallocate() }
        for r in 0..<m {
            for c in 0..<channels {
                for t in 0..<taps { reordered[r * k + t * channels + c] = weights[r * k + c * taps + t] }
            }
        }
        self.init(reordered, m: m, k: k, groups: 1)
    }

    /// Group `g`'s packed matrix.
    func group(_ g: Int) -> UnsafePointer<Float> { UnsafePointer(storage + g * perGroup) }

    func deallocate() { storage.deallocate() }
}

/// The convolution GEMM (CKernels/gemm.c): every output element is the in-order chain of fused multiply-adds
/// over k, so any split of the work across tiles and threads, on AVX2 or AVX-512, gives the same bits.
enum ConvGEMM {
    static let avx512 = CPUFeatures.avx512
    /// Rows per packed panel (the register tile's height): 8 on AVX-512, 6 on AVX2. Row slices of a GEMM
    /// start on a panel.
    static let panelRows = avx512 ? 8 : 6

    /// C rows `rows` of group `group` (`packed`'s rows), columns [0, n) of B and C, with the conv's bias and
    /// activation fused into the store.
    static func multiply(_ packed: PackedWeights, group: Int, rows: Range<Int>, n: Int,
                         b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                         bias: UnsafePointer<Float>?, activation: Activation?) {
        precondition(rows.lowerBound % panelRows == 0, "a row slice starts on a packed panel")
        let (code, slope) = kernelActivation(activation)
        let a = packed.group(group) + rows.lowerBound * packed.k
        argus_gemm(avx512 ? 1 : 0, rows.count, n, packed.k, a, b, ldb, c + rows.lowerBound * ldc, ldc,
                   bias.map { $0 + group * packed.m + rows.lowerBound }, code, slope)
    }

    /// Rows `rows` of a group-1 product's part over packed columns start ..< start + length (`argus_gemm_part`):
    /// `first` starts the sums from zero, else they go on from C; `last` applies the bias and activation.
    static func multiplyPart(_ packed: PackedWeights, rows: Range<Int>, start: Int, length: Int, n: Int,
                             b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                             first: Bool, last: Bool, bias: UnsafePointer<Float>?, activation: Activation?) {
        precondition(rows.lowerBound % panelRows == 0 && length >= 1, "a row slice starts on a packed panel")
        let (code, slope) = kernelActivation(activation)
        argus_gemm_part(avx512 ? 1 : 0, rows.count, n, start, length, packed.k,
                        packed.group(0) + rows.lowerBound * packed.k, b, ldb, c + rows.lowerBound * ldc, ldc,
                        first ? 1 : 0, last ? 1 : 0, bias.map { $0 + rows.lowerBound }, code, slope)
    }
    /// All rows of group `group` with B's row kk at b + rowOffsets[kk] (`argus_gemm_rows`), columns [0, n).
    static func multiplyRows(_ packed: PackedWeights, group: Int, n: Int, b: UnsafePointer<Float>,
                             rowOffsets: UnsafePointer<Int>, c: UnsafeMutablePointer<Float>, ldc: Int,
                             bias: UnsafePointer<Float>?, activation: Activation?) {
        let (code, slope) = kernelActivation(activation)
        argus_gemm_rows(avx512 ? 1 : 0, packed.m, n, packed.k, packed.group(group), b, rowOffsets, c, ldc,
                        bias.map { $0 + group * packed.m }, code, slope)
    }

    /// The C kernels' activation code and leaky-ReLU slope.
    static func kernelActivation(_ activation: Activation?) -> (Int32, Float) {
        switch activation {
        case nil: return (Int32(ARGUS_ACT_NONE), 0)
        case .sigmoid: return (Int32(ARGUS_ACT_SIGMOID), 0)
        case .relu: return (Int32(ARGUS_ACT_RELU), 0)
        case .relu6: return (Int32(ARGUS_ACT_RELU6), 0)
        case .silu: return (Int32(ARGUS_ACT_SILU), 0)
        case .hardswish: return (Int32(ARGUS_ACT_HARDSWISH), 0)
        case .hardsigmoid: return (Int32(ARGUS_ACT_HARDSIGMOID), 0)
        case .leakyReLU(let slope): return (Int32(ARGUS_ACT_LEAKY_RELU), slope)
        }
    }
}
