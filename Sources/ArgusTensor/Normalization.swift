#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// torch.nn.functional.group_norm on [N, C, H, W]: per sample, the channels split into `groups` runs whose mean
/// and biased variance normalize them, then the per-channel affine `gamma`, `beta`; `activation` follows.
/// Like torch, each channel is then `x * scale + shift` with scale = gamma / sqrt(var + eps) and
/// shift = beta - mean * scale. The moments are summed in Double (torch: Welford in Float32), which is the
/// closer of the two to the exact value.
public func groupNorm(_ x: Tensor, groups: Int, gamma: Tensor, beta: Tensor, eps: Float,
                      activation: Activation? = nil) throws -> Tensor {
    let (n, c, h, w) = try x.nchw("groupNorm")
    guard groups >= 1, c % groups == 0 else {
        throw TensorError.invalidShape(op: "groupNorm", message: "\(c) channels do not split into \(groups) groups")
    }
    guard gamma.count == c, beta.count == c else {
        throw TensorError.invalidShape(op: "groupNorm", message: "gamma/beta need \(c) values, got \(gamma.count)/\(beta.count)")
    }
    let plane = h * w, perGroup = c / groups, span = perGroup * plane
    let out = Tensor.uninitialized(shape: x.shape) { out in
        x.storage.withUnsafeBufferPointer { src in
            gamma.storage.withUnsafeBufferPointer { g in
                beta.storage.withUnsafeBufferPointer { b in
                    let src = src.baseAddress!, o = out.baseAddress!
                    parallelRanges(n * groups, workers: workerCount(elements: x.count, available: EngineThreads.current)) { runs in
                        for run in runs {
                            let base = run * span
                            var sum = 0.0, squares = 0.0
                            for i in 0..<span { let v = Double(src[base + i]); sum += v; squares += v * v }
                            let mean = sum / Double(span)
                            let variance = max(squares / Double(span) - mean * mean, 0)
                            let rstd = Float(1 / (variance + Double(eps)).squareRoot())
                            let firstChannel = (run % groups) * perGroup
                            for k in 0..<perGroup {
                                let ch = firstChannel + k
                                let scale = rstd * g[ch], shift = b[ch] - Float(mean) * scale
                                let p = base + k * plane
                                for i in 0..<plane { o[p + i] = src[p + i] * scale + shift }
                            }
                        }
                    }
                }
            }
        }
    }
    return activation.map { activate(out, $0) } ?? out
}

/// `scale[c] * torch.nn.functional.normalize(x, p=2, dim=1)` on [N, C, H, W]: every pixel's channel vector
/// divided by its Euclidean norm (at least `eps`, torch's 1e-12), then scaled per channel (SSD's L2Norm of
/// conv4_3).
public func l2NormalizeChannels(_ x: Tensor, scale: Tensor, eps: Float = 1e-12) throws -> Tensor {
    let (n, c, h, w) = try x.nchw("l2NormalizeChannels")
    guard scale.count == c else {
        throw TensorError.invalidShape(op: "l2NormalizeChannels", message: "scale needs \(c) values, got \(scale.count)")
    }
    let plane = h * w
    return Tensor.uninitialized(shape: x.shape) { out in
        x.storage.withUnsafeBufferPointer { src in
            scale.storage.withUnsafeBufferPointer { s in
                let src = src.baseAddress!, o = out.baseAddress!
                let norms = UnsafeMutablePointer<Float>.allocate(capacity: plane)
                defer { norms.deallocate() }
                for b in 0..<n {
                    let sample = b * c * plane
                    norms.initialize(repeating: 0, count: plane)
                    for ch in 0..<c {
                        let row = src + sample + ch * plane
                        for i in 0..<plane { norms[i] += row[i] * row[i] }
                    }
                    for i in 0..<plane { norms[i] = max(norms[i].squareRoot(), eps) }
                    for ch in 0..<c {
                        let row = src + sample + ch * plane, dst = o + sample + ch * plane
                        for i in 0..<plane { dst[i] = s[ch] * (row[i] / norms[i]) }
                    }
                }
            }
        }
    }
}
