import ArgusTensor

/// ConvTranspose (2-D, groups, strides, dilations, pads, output_padding). kernel == stride without
/// padding (the learned 2x upsampling of YOLOv8's Proto) runs on ArgusTensor's convTranspose2d; any
/// other geometry is a 1x1 conv producing every (output channel, tap) plane, then a scatter-add (col2im).
struct ConvTransposeKernel: Kernel {
    let window: WindowAttributes
    let group: Int
    let outputPadding: (Int, Int)
    let weight: Tensor
    let bias: Tensor?
    /// [group * Cout/g * kH * kW, Cin/g, 1, 1]: the taps as a grouped 1x1 conv (general path).
    let taps: Tensor
    let label: String

    init(_ ctx: NodeContext) throws {
        try ctx.arity(inputs: 2, 3)
        let a = ctx.attributes
        try a.check(allowed: ["auto_pad", "dilations", "group", "kernel_shape", "output_padding", "pads", "strides"])
        let label = ctx.label
        self.label = label
        window = try WindowAttributes(a)
        guard window.autoPad == .notSet || window.autoPad == .valid else {
            throw ONNXError.unsupported("\(label): auto_pad \(window.autoPad.rawValue)")
        }
        group = try a.int("group", default: 1)
        let op = try a.ints("output_padding") ?? [0, 0]
        guard op.count == 2, op[0] >= 0, op[1] >= 0, op[0] < max(window.strides.0, window.dilations.0),
              op[1] < max(window.strides.1, window.dilations.1) else {
            throw ONNXError.malformed("\(label): output_padding \(op)")
        }
        outputPadding = (op[0], op[1])
        guard let w = try ctx.input(1)?.tensor("\(label) weight") else {
            throw ONNXError.unsupported("\(label): a weight that is not a constant")
        }
        guard w.rank == 4, group >= 1, w.shape[0] % group == 0 else {
            throw ONNXError.unsupported("\(label): weight \(w.shape) with group \(group) (only 2-D)")
        }
        if let k = window.kernel, k != (w.shape[2], w.shape[3]) {
            throw ONNXError.malformed("\(label): kernel_shape \(k) disagrees with weight \(w.shape)")
        }
        weight = w
        bias = try (ctx.node.inputs.count > 2 ? ctx.input(2) : nil).map { try $0.tensor("\(label) bias") }
        if ctx.node.inputs.count > 2, !ctx.node.inputs[2].isEmpty, bias == nil {
            throw ONNXError.unsupported("\(label): a bias that is not a constant")
        }
        let coutG = w.shape[1], kk = w.shape[2] * w.shape[3], cinG = w.shape[0] / group
        if let b = bias, b.shape != [coutG * group] { throw ONNXError.malformed("\(label): bias \(b.shape)") }
        // taps[g][(co, t)][ci] = w[g * cinG + ci][co][t]
        var t = [Float](repeating: 0, count: group * coutG * kk * cinG)
        for g in 0..<group {
            for ci in 0..<cinG {
                for r in 0..<(coutG * kk) {
                    t[(g * coutG * kk + r) * cinG + ci] = w.storage[((g * cinG + ci) * coutG * kk) + r]
                }
            }
        }
        taps = Tensor(shape: [group * coutG * kk, cinG, 1, 1], storage: t)
    }

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        _ = try expect(inputs[0], [.float], "\(label) input")
        return [.float]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let x = try inputs[0]!.tensor(label)
        guard x.rank == 4, x.shape[1] == weight.shape[0] else {
            throw ONNXError.invalidInput("\(label): input \(x.shape) does not fit weight \(weight.shape)")
        }
        let (kh, kw) = (weight.shape[2], weight.shape[3])
        let p = window.autoPad == .valid ? (0, 0, 0, 0) : window.pads
        if group == 1, kh == kw, window.strides == (kh, kh), window.dilations == (1, 1), p == (0, 0, 0, 0),
           outputPadding == (0, 0) {
            _ = try checkedCount([x.shape[0], weight.shape[1], x.shape[2] * kh, x.shape[3] * kw], label)
            return [Value(try tensorOp(label) { try convTranspose2d(x, weight: weight, bias: bias, stride: kh) })]
        }
        return [Value(try general(x, p))]
    }

    private func general(_ x: Tensor, _ p: (Int, Int, Int, Int)) throws -> Tensor {
        let (n, _, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw) = (weight.shape[2], weight.shape[3])
        let (sh, sw) = window.strides, (dh, dw) = window.dilations
        let coutG = weight.shape[1], cout = coutG * group, kk = kh * kw
        let outH = sh * (h - 1) + outputPadding.0 + (kh - 1) * dh + 1 - p.0 - p.2
        let outW = sw * (w - 1) + outputPadding.1 + (kw - 1) * dw + 1 - p.1 - p.3
        guard outH >= 1, outW >= 1 else { throw ONNXError.invalidInput("\(label): output size \(outH)x\(outW)") }
        _ = try checkedCount([n, cout, outH, outW], label)
        _ = try checkedCount([n, cout * kk, h, w], label)
        let cols = try tensorOp(label) { try conv2d(x, weight: taps, groups: group) }  // [n, cout*kk, h, w]
        var out = [Float](repeating: 0, count: n * cout * outH * outW)
        cols.storage.withUnsafeBufferPointer { c in
            out.withUnsafeMutableBufferPointer { o in
                for img in 0..<n {
                    for co in 0..<cout {
                        let dst = o.baseAddress! + (img * cout + co) * outH * outW
                        if let b = bias { for i in 0..<(outH * outW) { dst[i] = b.storage[co] } }
                        for t in 0..<kk {
                            let (ty, tx) = (t / kw, t % kw)
                            let src = c.baseAddress! + ((img * cout + co) * kk + t) * h * w
                            for y in 0..<h {
                                let oy = y * sh - p.0 + ty * dh
                                guard oy >= 0, oy < outH else { continue }
                                for xx in 0..<w {
                                    let ox = xx * sw - p.1 + tx * dw
                                    if ox >= 0 && ox < outW { dst[oy * outW + ox] += src[y * w + xx] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, cout, outH, outW], storage: out)
    }
}
