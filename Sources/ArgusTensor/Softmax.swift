#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// torch.softmax along `axis`: exp(x - max) / sum. Along a strided axis (inner size >= 8: YOLOv8's DFL bins over
/// thousands of anchors) eight neighbouring positions go at once with `vexp` (about 1 ulp, the class of the Sleef
/// exp torch's vectorized kernels use); along the last axis, libm's expf per element.
public func softmax(_ x: Tensor, axis: Int) throws -> Tensor {
    let a = try x.normalizedAxis(axis, "softmax")
    let (outer, length, inner) = x.splitShape(at: a)
    var out = x
    if inner >= vecWidth {
        out.storage.withUnsafeMutableBufferPointer { q in
            x.storage.withUnsafeBufferPointer { p in
                for o in 0..<outer {
                    var i = 0
                    while i < inner {
                        // The last group overlaps the previous one rather than reading past the row: every position
                        // gets the same lane arithmetic from the input, so overlapping positions get the same value.
                        let start = min(i, inner - vecWidth), offset = o * length * inner + start
                        softmaxLanes(p.baseAddress! + offset, into: q.baseAddress! + offset, length: length, stride: inner)
                        i = start + vecWidth
                    }
                }
            }
        }
        return out
    }
    out.storage.withUnsafeMutableBufferPointer { p in
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                var m = -Float.infinity
                for k in 0..<length { m = max(m, p[base + k * inner]) }
                var sum: Float = 0
                for k in 0..<length {
                    let e = expf(p[base + k * inner] - m)
                    p[base + k * inner] = e
                    sum += e
                }
                for k in 0..<length { p[base + k * inner] /= sum }
            }
        }
    }
    return out
}

/// Softmax of `length` vectors `stride` floats apart into `q` (the same layout), one position per lane.
@inline(__always)
private func softmaxLanes(_ p: UnsafePointer<Float>, into q: UnsafeMutablePointer<Float>, length: Int, stride: Int) {
    @inline(__always) func load(_ k: Int) -> Vec { UnsafeRawPointer(p + k * stride).loadUnaligned(as: Vec.self) }
    @inline(__always) func loadOut(_ k: Int) -> Vec { UnsafeRawPointer(q + k * stride).loadUnaligned(as: Vec.self) }
    @inline(__always) func store(_ k: Int, _ v: Vec) { UnsafeMutableRawPointer(q + k * stride).storeBytes(of: v, as: Vec.self) }
    var m = Vec(repeating: -.infinity)
    for k in 0..<length { m = pointwiseMax(m, load(k)) }
    var sum = Vec(repeating: 0)
    for k in 0..<length {
        let e = vexp(load(k) - m)
        store(k, e)
        sum += e
    }
    for k in 0..<length { store(k, loadOut(k) / sum) }
}
