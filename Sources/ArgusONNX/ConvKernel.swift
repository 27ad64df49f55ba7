import ArgusTensor

/// Conv (2-D, groups, dilations, asymmetric pads, auto_pad) on ArgusTensor's conv2d. The weight and
/// bias are taken as tensors at load when they are constants. `activation` is set by the
/// Conv -> Sigmoid -> Mul fusion (SiLU applied in the conv's output pass).
struct ConvKernel: Kernel {
    let window: WindowAttributes
    let group: Int
    let weight: Tensor?
    /// A constant weight packed for the conv kernels at load.
    let packed: ConvWeights?
    let bias: Tensor?
    var activation: Activation?
    let label: String

    /// `inputCount`: the node's input count to check (ConvInteger reuses this with its own arity).
    init(_ ctx: NodeContext, inputCount: Int? = nil) throws {
        if inputCount == nil { try ctx.arity(inputs: 2, 3) }
        let a = ctx.attributes
        try a.check(allowed: ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"])
        window = try WindowAttributes(a)
        group = try a.int("group", default: 1)
        guard group >= 1 else { throw ONNXError.malformed("\(ctx.label): group \(group)") }
        label = ctx.label
        weight = try ctx.input(1).map { try $0.tensor("\(ctx.label) weight") }
        bias = try (inputCount == nil && ctx.node.inputs.count > 2 ? ctx.input(2) : nil).map { try $0.tensor("\(ctx.label) bias") }
        if let w = weight {
            guard w.rank == 4 else { throw ONNXError.unsupported("\(ctx.label): weight \(w.shape) (only 2-D convolutions)") }
            if let k = window.kernel, k != (w.shape[2], w.shape[3]) {
                throw ONNXError.malformed("\(ctx.label): kernel_shape \(k) disagrees with weight \(w.shape)")
            }
            guard w.shape[0] % group == 0 else { throw ONNXError.malformed("\(ctx.label): \(w.shape[0]) filters in \(group) groups") }
            if let b = bias, b.shape != [w.shape[0]] { throw ONNXError.malformed("\(ctx.label): bias \(b.shape) for weight \(w.shape)") }
        }
        let (label, group, dilation) = (ctx.label, group, max(window.dilations.0, window.dilations.1))
        packed = try weight.map { w in try tensorOp(label) { try ConvWeights(w, groups: group, dilation: dilation) } }
    }

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        for (i, t) in inputs.enumerated() where t != nil || i < 2 { _ = try expect(t, [.float], "\(label) input \(i)") }
        return [.float]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let x = try inputs[0]!.tensor(label)
        let w = try weight ?? inputs[1]!.tensor("\(label) weight")
        let b = try bias ?? (inputs.count > 2 ? inputs[2]?.tensor("\(label) bias") : nil)
        return [Value(try convolve(x, w, b, activation: activation, packed: packed))]
    }

    /// conv2d with the node's geometry; asymmetric pads become an explicit zero border first. `packed`: `w`
    /// prepared at load, if it was a constant.
    func convolve(_ x: Tensor, _ w: Tensor, _ b: Tensor?, activation: Activation?, packed: ConvWeights? = nil) throws -> Tensor {
        guard x.rank == 4, w.rank == 4 else {
            throw ONNXError.invalidInput("\(label): input \(x.shape) / weight \(w.shape) must be 4-D")
        }
        let p = window.resolvedPads(input: (x.shape[2], x.shape[3]), kernel: (w.shape[2], w.shape[3]))
        let outH = (x.shape[2] + p.0 + p.2 - (w.shape[2] - 1) * window.dilations.0 - 1) / window.strides.0 + 1
        let outW = (x.shape[3] + p.1 + p.3 - (w.shape[3] - 1) * window.dilations.1 - 1) / window.strides.1 + 1
        _ = try checkedCount([x.shape[0], w.shape[0], outH, outW], label)
        return try tensorOp(label) {
            let weights = try packed ?? ConvWeights(w, groups: group, dilation: max(window.dilations.0, window.dilations.1))
            if p.0 == p.2 && p.1 == p.3 {
                return try conv2d(x, weights: weights, bias: b, stride: window.strides, padding: (p.0, p.1),
                                  dilation: window.dilations, activation: activation)
            }
            let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            _ = try checkedCount([n, c, h + p.0 + p.2, wd + p.1 + p.3], label)
            let q = padded(x.storage, n: n, c: c, h: h, w: wd, p, value: 0)
            return try conv2d(Tensor(shape: [n, c, q.h, q.w], storage: q.data), weights: weights, bias: b,
                              stride: window.strides, padding: (0, 0), dilation: window.dilations,
                              activation: activation)
        }
    }
}

/// Concat(axis 1) -> a 1x1 stride-1 unpadded ungrouped Conv with constant weights (`Fusion`): the conv reads the
/// concatenated tensors in place (`conv2d(concatenated:)`), the same bits as the conv of the concatenation.
struct ConcatConvKernel: Kernel {
    let conv: ConvKernel
    let weights: ConvWeights

    /// nil unless `conv` has that shape and its weight (and bias, if any) are constants.
    init?(_ conv: ConvKernel, biasIsConstant: Bool) {
        guard biasIsConstant, let weights = conv.packed, let w = conv.weight, w.shape[2] == 1, w.shape[3] == 1,
              conv.group == 1, conv.window.strides == (1, 1), conv.window.pads == (0, 0, 0, 0) else { return nil }
        self.conv = conv
        self.weights = weights
    }

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        for t in inputs { _ = try expect(t, [.float], "\(conv.label) input") }
        return [.float]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let label = conv.label
        let parts = try inputs.map { try $0!.tensor(label) }
        return [Value(try tensorOp(label) {
            try conv2d(concatenated: parts, weights: weights, bias: conv.bias, activation: conv.activation)
        })]
    }
}
