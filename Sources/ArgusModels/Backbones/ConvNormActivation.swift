import ArgusTensor

/// torchvision's Conv2dNormActivation (conv, optional batch norm, optional activation) with the norm
/// folded into the conv at load time, so inference is one conv call.
struct ConvNormActivation {
    /// The folded conv (its Winograd form for the wide 3x3 stride-1 convs that dominate the ResNet/FPN/RPN/box-head
    /// time).
    let conv: ConvLayer

    /// Reads `conv` (`.weight`, and `.bias` when `norm` is nil) and the batch norm at `norm`, if any.
    init(_ weights: StateDictReader, conv: String, norm: String?, inChannels: Int, outChannels: Int,
         kernel: Int, stride: Int = 1, padding: Int? = nil, dilation: Int = 1, groups: Int = 1,
         activation: Activation?) throws {
        let w = try weights.tensor("\(conv).weight", shape: [outChannels, inChannels / groups, kernel, kernel])
        let weight: Tensor, bias: Tensor
        if let norm {
            (weight, bias) = try weights.foldedNorm(norm, convWeight: w, channels: outChannels)
        } else {
            weight = w
            bias = try weights.tensor("\(conv).bias", shape: [outChannels])
        }
        self.conv = try ConvLayer(weight: weight, bias: bias, stride: stride, padding: padding ?? (kernel - 1) / 2 * dilation,
                                  dilation: dilation, groups: groups, activation: activation)
    }

    var weight: Tensor { conv.weight }
    var bias: Tensor? { conv.bias }
    var stride: Int { conv.stride }
    var padding: Int { conv.padding }
    var dilation: Int { conv.dilation }
    var groups: Int { conv.groups }
    var activation: Activation? { conv.activation }
    var outChannels: Int { weight.shape[0] }

    func callAsFunction(_ x: Tensor) throws -> Tensor { try conv(x) }

    /// This (1x1) conv of `torch.cat(inputs, 1)`, without making the concatenation.
    func callAsFunction(concatenated inputs: [Tensor]) throws -> Tensor { try conv(concatenated: inputs) }
}

/// Reads torchvision state-dict tensors, accepting the key names of older torchvision releases too.
struct StateDictReader {
    let source: WeightSource
    /// Batch-norm epsilon (FrozenBatchNorm2d and BatchNorm2d: 1e-5).
    let eps: Float

    func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        try source.tensor(resolve(name), shape: shape)
    }

    func contains(_ name: String) -> Bool { source.contains(resolve(name)) }

    /// Checkpoints published before torchvision 0.12 (the COCO Faster R-CNNs among them) store the FPN's
    /// and RPN head's convs without the Conv2dNormActivation wrapper; torchvision renames them on load
    /// (`_load_from_state_dict`), and so do we.
    func resolve(_ name: String) -> String {
        if source.contains(name) { return name }
        if let legacy = Self.legacyName(name), source.contains(legacy) { return legacy }
        return name
    }

    /// `rpn.head.conv.0.0.weight` -> `rpn.head.conv.weight`;
    /// `backbone.fpn.inner_blocks.3.0.weight` -> `backbone.fpn.inner_blocks.3.weight` (same for layer_blocks).
    /// `roi_heads.mask_head.2.0.weight` -> `roi_heads.mask_head.mask_fcn3.weight` (MaskRCNNHeads before 0.13).
    /// `head.classification_head.conv.1.0.weight` -> `head.classification_head.conv.2.weight` (RetinaNetHead before 0.13).
    static func legacyName(_ name: String) -> String? {
        let rpnConv = "rpn.head.conv.0.0."
        if name.hasPrefix(rpnConv) { return "rpn.head.conv." + name.dropFirst(rpnConv.count) }
        // RetinaNet's head towers before 0.13: `conv.<2i>` (conv, ReLU pairs) for `conv.<i>.0`.
        for head in ["head.classification_head.conv.", "head.regression_head.conv."] where name.hasPrefix(head) {
            let rest = name.dropFirst(head.count).split(separator: ".")
            if rest.count == 3, let i = Int(rest[0]), rest[1] == "0" { return "\(head)\(2 * i).\(rest[2])" }
        }
        let maskHead = "roi_heads.mask_head."
        if name.hasPrefix(maskHead) {
            let rest = name.dropFirst(maskHead.count).split(separator: ".")
            if rest.count == 3, let i = Int(rest[0]), rest[1] == "0" { return "\(maskHead)mask_fcn\(i + 1).\(rest[2])" }
        }
        var parts = name.split(separator: ".", omittingEmptySubsequences: false)
        if let i = parts.firstIndex(where: { $0 == "inner_blocks" || $0 == "layer_blocks" }),
           i + 2 < parts.count, parts[i + 2] == "0" {
            parts.remove(at: i + 2)
            return parts.joined(separator: ".")
        }
        return nil
    }

    /// Folds the batch norm at `prefix` (weight, bias, running_mean, running_var) into a bias-free conv,
    /// with torch's fuse_conv_bn_weights arithmetic.
    func foldedNorm(_ prefix: String, convWeight: Tensor, channels: Int) throws -> (weight: Tensor, bias: Tensor) {
        try foldBatchNorm(
            weight: convWeight, bias: nil,
            gamma: tensor("\(prefix).weight", shape: [channels]),
            beta: tensor("\(prefix).bias", shape: [channels]),
            runningMean: tensor("\(prefix).running_mean", shape: [channels]),
            runningVar: tensor("\(prefix).running_var", shape: [channels]),
            eps: eps, rule: .torch)
    }
}
