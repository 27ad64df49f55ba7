#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// torch.softmax along `axis`: exp(x - max) / sum, with libm's expf per element.
public func softmax(_ x: Tensor, axis: Int) throws -> Tensor {
    let a = try x.normalizedAxis(axis, "softmax")
    let (outer, length, inner) = x.splitShape(at: a)
    var out = x
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
