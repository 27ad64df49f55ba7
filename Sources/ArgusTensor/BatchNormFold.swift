/// Which reference's arithmetic `foldBatchNorm` reproduces (they round differently).
public enum BatchNormFoldRule: Sendable {
    /// YOLOv5 `fuse_conv_and_bn`: s = gamma / sqrt(eps + var); w' = s * w;
    /// b' = s * b + (beta - gamma * mean / sqrt(var + eps)).
    case yolov5
    /// `torch.nn.utils.fusion.fuse_conv_bn_weights` (also Ultralytics 8.x `fuse_conv_and_bn`):
    /// r = 1 / sqrt(var + eps); w' = w * (gamma * r); b' = (b - mean) * r * gamma + beta.
    case torch
}

/// Folds an inference-mode BatchNorm2d into the conv before it, returning the fused (weight, bias).
/// Computed in Float32 with the chosen reference's operation order, so the result matches it to the bit.
public func foldBatchNorm(weight: Tensor, bias: Tensor?, gamma: Tensor, beta: Tensor,
                          runningMean: Tensor, runningVar: Tensor, eps: Float = 1e-5,
                          rule: BatchNormFoldRule = .torch) throws -> (weight: Tensor, bias: Tensor) {
    let op = "foldBatchNorm"
    guard weight.rank >= 1, let cout = weight.shape.first, cout >= 1 else {
        throw TensorError.invalidShape(op: op, message: "weight must have an output-channel axis, got \(weight.shape)")
    }
    for (name, t) in [("gamma", gamma), ("beta", beta), ("runningMean", runningMean), ("runningVar", runningVar)]
        + (bias.map { [("bias", $0)] } ?? []) where t.shape != [cout] {
        throw TensorError.invalidShape(op: op, message: "\(name) must be [\(cout)], got \(t.shape)")
    }
    let perChannel = weight.count / cout
    var w = weight.storage
    var b = [Float](repeating: 0, count: cout)
    for c in 0..<cout {
        let g = gamma.storage[c], mean = runningMean.storage[c], v = runningVar.storage[c]
        let convBias = bias?.storage[c] ?? 0
        let scale: Float
        switch rule {
        case .yolov5:
            scale = g / (eps + v).squareRoot()
            b[c] = scale * convBias + (beta.storage[c] - g * mean / (v + eps).squareRoot())
        case .torch:
            let r = 1 / (v + eps).squareRoot()
            scale = g * r
            b[c] = (convBias - mean) * r * g + beta.storage[c]
        }
        for i in (c * perChannel)..<((c + 1) * perChannel) {
            w[i] = rule == .yolov5 ? scale * w[i] : w[i] * scale
        }
    }
    return (Tensor(shape: weight.shape, storage: w), Tensor(shape: [cout], storage: b))
}
