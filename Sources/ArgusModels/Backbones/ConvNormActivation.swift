import ArgusTensor

/// torchvision's Conv2dNormActivation (conv, optional batch norm, optional activation) with the norm
/// folded into the conv at load time, so inference is one conv call.
struct ConvNormActivation {
    /// The (folded) weight, packed for the conv kernels at load.
    let weights: ConvWeights
    let bias: Tensor?
    let stride: Int
    let padding: Int
    let dilation: Int
    let groups: Int
    let activation: Activation?
    /// The same weights for Winograd F(2x2, 3x3), for the wide 3x3 stride-1 convs that dominate the
    /// ResNet/FPN/RPN/box-head time (2.25x fewer multiplications; differs from direct convolution only by
    /// float rounding, well inside what the torchvision comparison tolerates).
    let winograd: WinogradWeights?

    /// Reads `conv` (`.weight`, and `.bias` when `norm` is nil) and the batch norm at `norm`, if any.
    init(_ weights: StateDictReader, conv: String, norm: String?, inChannels: Int, outChannels: Int,
         kernel: Int, stride: Int = 1, padding: Int? = nil, dilation: Int = 1, groups: Int = 1,
         activation: Activation?) throws {
        let w = try weights.tensor("\(conv).weight", shape: [outChannels, inChannels / groups, kernel, kernel])
        let weight: Tensor
        if let norm {
            let folded = try weights.foldedNorm(norm, convWeight: w, channels: outChannels)
            weight = folded.weight
            self.bias = folded.bias
        } else {
            weight = w
            self.bias = try weights.tensor("\(conv).bias", shape: [outChannels])
        }
        self.weights = try ConvWeights(weight, groups: groups, dilation: dilation)
        self.stride = stride
        self.padding = padding ?? (kernel - 1) / 2 * dilation
        self.dilation = dilation
        self.groups = groups
        self.activation = activation
        let wide = kernel == 3 && stride == 1 && dilation == 1 && groups == 1 && inChannels >= 64 && outChannels >= 64
        self.winograd = wide ? try WinogradWeights(weight) : nil
    }

    var weight: Tensor { weights.weight }
    var outChannels: Int { weight.shape[0] }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        // On small planes (the v2 box head's 7x7 RoIs) the tile padding and transforms cost more than they save.
        if let winograd, x.rank == 4, x.shape[2] * x.shape[3] >= 256 {
            return try winogradConv3x3(x, weights: winograd, bias: bias, padding: padding, activation: activation)
        }
        return try conv2d(x, weights: weights, bias: bias, stride: stride, padding: padding, dilation: dilation,
                          activation: activation)
    }

    /// This (1x1) conv of `torch.cat(inputs, 1)`, without making the concatenation.
    func callAsFunction(concatenated inputs: [Tensor]) throws -> Tensor {
        try conv2d(concatenated: inputs, weights: weights, bias: bias, activation: activation)
    }
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
    static func legacyName(_ name: String) -> String? {
        let rpnConv = "rpn.head.conv.0.0."
        if name.hasPrefix(rpnConv) { return "rpn.head.conv." + name.dropFirst(rpnConv.count) }
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
