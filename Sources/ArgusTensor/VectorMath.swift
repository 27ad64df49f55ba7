/// SIMD building blocks for the elementwise kernels. Eight lanes: two SSE registers on a generic
/// x86-64 build, one AVX register when the compiler may use it.
typealias Vec = SIMD8<Float>
let vecWidth = 8

/// e^x for eight lanes: Cephes-style range reduction plus a degree-5 polynomial, about 1 ulp,
/// the accuracy class of the Sleef exp that PyTorch's vectorized kernels use.
/// The input is clamped to [-103, 89]: above ~88.72 the scaling by 2^n overflows to +inf by itself,
/// below ~-87.3 the result goes denormal and then to 0 by itself, so no fix-up selects are needed
/// (each costs five SSE2 instructions per register). NaN passes through the clamps and stays NaN.
@inline(__always)
func vexp(_ x: Vec) -> Vec {
    let hi = Vec(repeating: 89), lo = Vec(repeating: -103)
    let (p, shifted) = expReduced(x.replacing(with: lo, where: x .< lo).replacing(with: hi, where: x .> hi))
    let magic = Vec(repeating: 12582912)
    // 2^n as two factors 2^(n/2) and 2^(n - n/2): each stays a normal float for n in [-149, 128],
    // and their product overflows or underflows exactly when e^x does.
    let ni = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
    let half = ni &>> 1
    let bias = SIMD8<Int32>(repeating: 127)
    let scaleA = unsafeBitCast((half &+ bias) &<< 23, to: Vec.self)
    let scaleB = unsafeBitCast((ni &- half &+ bias) &<< 23, to: Vec.self)
    return p * scaleA * scaleB
}

/// The core of `vexp` for an already clamped x: e^r for r = x - n ln 2
/// (1 + r + r^2 P(r), P of degree 5), and the rounding trick's sum `shifted`, whose low bits are n = round(x / ln 2).
@inline(__always)
private func expReduced(_ x: Vec) -> (p: Vec, shifted: Vec) {
    // n = round(x / ln 2) via the 1.5 * 2^23 trick (SSE2 has no floor); its low bits are n.
    // Fused multiply-adds throughout (like Sleef's AVX2 exp in PyTorch): fewer instructions, and
    // each step rounds once instead of twice.
    let magic = Vec(repeating: 12582912)
    let shifted = magic.addingProduct(x, Vec(repeating: 1.44269504088896341))
    let n = shifted - magic
    // r = x - n ln 2, ln 2 split in two parts so the product is exact.
    var v = x.addingProduct(n, Vec(repeating: -0.693359375))
    v = v.addingProduct(n, Vec(repeating: 2.12194440e-4))
    let z = v * v
    var p = Vec(repeating: 1.9875691500e-4)
    p = Vec(repeating: 1.3981999507e-3).addingProduct(p, v)
    p = Vec(repeating: 8.3334519073e-3).addingProduct(p, v)
    p = Vec(repeating: 4.1665795894e-2).addingProduct(p, v)
    p = Vec(repeating: 1.6666665459e-1).addingProduct(p, v)
    p = Vec(repeating: 5.0000001201e-1).addingProduct(p, v)
    return ((v + Vec(repeating: 1)).addingProduct(p, z), shifted)
}

/// e^x for the logistic family's `1 + e^x` (SiLU), with fewer operations than `vexp` and within about 2 ulp:
/// x is clamped to [-20, 88.75] (below -20, 1 + e^x is exactly 1 in Float), k = round(x 8 / ln 2), and
/// e^x = 2^(k/8) e^r with |r| <= ln 2 / 16, e^r a cubic (minimax). 2^(k/8) is one integer add: the rounding
/// trick's sum has bits 0x4B400000 + k, so shifted left by 20 it is (k >> 3) << 23 (the exponent) plus
/// (k & 7) << 20, and `exp2Eighths` row k & 7 holds the bits of 2^((k & 7)/8) less that second part.
/// k = 1024 (x beyond about 88.68) gives +inf exactly, as e^x overflows there; then x / (1 + e^-x) is ~1e-37 and
/// comes out as 0. The C kernels (CKernels simd_ops.h, SILU_BODY) do the same operations in vector registers.
@inline(__always)
func vexpForLogistic(_ x: Vec) -> Vec {
    let hi = Vec(repeating: 88.75), lo = Vec(repeating: -20)
    let t = x.replacing(with: lo, where: x .< lo).replacing(with: hi, where: x .> hi)
    let magic = Vec(repeating: 12582912)
    let shifted = magic.addingProduct(t, Vec(repeating: 11.5415603271117))
    let n = shifted - magic
    // r = t - n ln 2 / 8, ln 2 / 8 split in two parts so the first product is exact.
    var r = t.addingProduct(n, Vec(repeating: -0.086669921875))
    r = r.addingProduct(n, Vec(repeating: 2.6524305e-5))
    var p = Vec(repeating: 5.000782013e-1).addingProduct(Vec(repeating: 1.666510254e-1), r)
    p = Vec(repeating: 1).addingProduct(p, r)
    p = Vec(repeating: 1).addingProduct(p, r)
    let bits = unsafeBitCast(shifted, to: SIMD8<UInt32>.self)
    var row = SIMD8<UInt32>()
    for lane in 0..<8 { row[lane] = exp2Eighths[Int(bits[lane] & 7)] }
    return p * unsafeBitCast(row &+ (bits &<< 20), to: Vec.self)
}

/// Bits of 2^(j/8) (Float, rounded to nearest) less j << 20, for j in 0..<8: see `vexpForLogistic`.
private let exp2Eighths: SIMD8<UInt32> = [
    0x3F80_0000, 0x3F8B_95C2 - (1 << 20), 0x3F98_37F0 - (2 << 20), 0x3FA5_FED7 - (3 << 20),
    0x3FB5_04F3 - (4 << 20), 0x3FC5_672A - (5 << 20), 0x3FD7_44FD - (6 << 20), 0x3FEA_C0C7 - (7 << 20),
]

/// An elementwise function of eight lanes (a struct, so generic loops specialize and inline it).
protocol LaneKernel {
    func callAsFunction(_ x: Vec) -> Vec
}

/// Applies `kernel` to `count` floats at `p` in place, two vectors per step for instruction-level
/// parallelism; the tail goes through the same vector code (padded), so every element sees
/// identical arithmetic.
@inline(__always)
func mapInPlace<K: LaneKernel>(_ p: UnsafeMutablePointer<Float>, count: Int, _ kernel: K) {
    var i = 0
    let raw = UnsafeMutableRawPointer(p)
    while i + 2 * vecWidth <= count {
        let v0 = raw.loadUnaligned(fromByteOffset: i * 4, as: Vec.self)
        let v1 = raw.loadUnaligned(fromByteOffset: (i + vecWidth) * 4, as: Vec.self)
        let r0 = kernel(v0), r1 = kernel(v1)
        raw.storeBytes(of: r0, toByteOffset: i * 4, as: Vec.self)
        raw.storeBytes(of: r1, toByteOffset: (i + vecWidth) * 4, as: Vec.self)
        i += 2 * vecWidth
    }
    while i < count {
        let n = min(vecWidth, count - i)
        var v = Vec(repeating: 0)
        for k in 0..<n { v[k] = p[i + k] }
        let r = kernel(v)
        for k in 0..<n { p[i + k] = r[k] }
        i += n
    }
}
