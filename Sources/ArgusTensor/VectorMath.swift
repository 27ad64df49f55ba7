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

/// The shared core of `vexp` and `vexpForLogistic` for an already clamped x: e^r for r = x - n ln 2
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

/// e^x for the logistic family's `1 + e^x` (SiLU), cheaper than `vexp` with the same polynomial:
/// x is clamped to [-20, 89] (below -20, 1 + e^x is exactly 1 in Float) and 2^n is one factor built
/// from the rounding trick's low bits, so n = 128 gives +inf by itself. Only for x in (88.38, 88.72]
/// does this give +inf where e^x is still finite; then x / (1 + e^-x) is ~1e-37 and comes out as 0.
@inline(__always)
func vexpForLogistic(_ x: Vec) -> Vec {
    let hi = Vec(repeating: 89), lo = Vec(repeating: -20)
    let (p, shifted) = expReduced(x.replacing(with: lo, where: x .< lo).replacing(with: hi, where: x .> hi))
    // shifted's bit pattern is 0x4B400000 + n; shifted left by 23 only n's low 9 bits remain, which
    // is n's two's complement exponent field for n in [-29, 128].
    let bits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &<< 23
    return p * unsafeBitCast(bits &+ SIMD8<Int32>(repeating: 127 << 23), to: Vec.self)
}

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
