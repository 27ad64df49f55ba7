import ArgusTensor
import ArgusWeights

/// Reads a module's tensors by their published dotted names and folds batch norm into convs.
struct WeightReader {
    let checkpoint: Checkpoint

    func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        try checkpoint.tensor(name, shape: shape)
    }

    func has(_ name: String) -> Bool { checkpoint.info(name) != nil }

    /// The pickled module object at a dotted path below the checkpoint's model (nil for plain state dicts).
    func module(_ path: String) -> PickleValue? {
        guard var node = checkpoint.model else { return nil }
        for part in path.split(separator: ".") {
            guard let next = node["_modules"]?[String(part)] else { return nil }
            node = next
        }
        return node
    }

    /// A Conv2d (no bias) followed by BatchNorm2d at `prefix.conv` / `prefix.bn`, folded into one conv
    /// as YOLOv5's `fuse_conv_and_bn` does in Float32. An already fused checkpoint (conv with bias, no bn)
    /// is read as is.
    func foldedConv(_ prefix: String, outChannels: Int, inChannelsPerGroup: Int, kernel: Int) throws -> (weight: Tensor, bias: Tensor) {
        let weight = try tensor("\(prefix).conv.weight", shape: [outChannels, inChannelsPerGroup, kernel, kernel])
        if !has("\(prefix).bn.weight"), has("\(prefix).conv.bias") {
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
}
