import ArgusTensor
import ArgusWeights

/// How Ultralytics and YOLOX checkpoints store their modules: Conv + BatchNorm pairs to fold, and activations
/// pickled per module.
extension WeightSource {
    /// A Conv2d (no bias) followed by BatchNorm2d at `prefix.conv` / `prefix.bn`, folded into one conv
    /// as YOLOv5's `fuse_conv_and_bn` does in Float32. An already fused checkpoint (conv with bias, no bn)
    /// is read as is.
    func foldedConv(_ prefix: String, outChannels: Int, inChannelsPerGroup: Int, kernel: Int) throws -> (weight: Tensor, bias: Tensor) {
        let weight = try tensor("\(prefix).conv.weight", shape: [outChannels, inChannelsPerGroup, kernel, kernel])
        if !contains("\(prefix).bn.weight"), contains("\(prefix).conv.bias") {
            return (weight, try tensor("\(prefix).conv.bias", shape: [outChannels]))
        }
        let bn = "\(prefix).bn"
        // YOLOv5 sets every BatchNorm2d's eps to 1e-3 (initialize_weights); the pickled module says so too.
        let eps = module(bn)?["eps"]?.double ?? 1e-3
        return try foldBatchNorm(
            weight: weight, bias: nil,
            gamma: tensor("\(bn).weight", shape: [outChannels]),
            beta: tensor("\(bn).bias", shape: [outChannels]),
            runningMean: tensor("\(bn).running_mean", shape: [outChannels]),
            runningVar: tensor("\(bn).running_var", shape: [outChannels]),
            eps: Float(eps), rule: .yolov5)
    }

    /// The activation a pickled `Conv` at `prefix` holds in its `act` child (SiLU, Identity, ReLU, ...):
    /// Ultralytics pickles each module's own instance, which may differ from today's class default.
    /// `fallback` when the checkpoint has no pickled module there.
    func activation(at prefix: String, fallback: Activation?) throws -> Activation? {
        guard let act = module("\(prefix).act"), let cls = act.className else { return fallback }
        let name = cls.split(separator: ".").last.map(String.init) ?? cls
        switch name {
        case "SiLU": return .silu
        case "Identity": return nil
        case "ReLU": return .relu
        case "ReLU6": return .relu6
        case "Hardswish": return .hardswish
        case "Sigmoid": return .sigmoid
        case "LeakyReLU": return .leakyReLU(slope: Float(act["negative_slope"]?.double ?? 0.01))
        default: throw ModelError.malformedConfig("\(prefix).act: activation \(cls) is not supported")
        }
    }
}
