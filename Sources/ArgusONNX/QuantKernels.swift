import ArgusTensor

/// DynamicQuantizeLinear with onnxruntime's arithmetic: the range is widened to include 0,
/// scale = (max - min) / 255 (1 when max == min, i.e. all zeros), zero point = round-half-even(clamp(0 - min / scale, 0, 255)),
/// q = clamp(round-half-even(x / scale) + zp, 0, 255). Outputs (y UINT8, y_scale FLOAT scalar, y_zero_point UINT8 scalar).
struct DynamicQuantizeLinearKernel: Kernel {
    let label: String

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        _ = try expect(inputs[0], [.float], "\(label) input")
        return [.uint8, .float, .uint8]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let x = inputs[0]!
        let v = try x.floats(label)
        let (scale, zp) = quantizationParameters(v)
        let q = quantize(v, scale: scale, zeroPoint: zp)
        return [Value(shape: x.shape, data: .uint8(q)),
                Value(floats: [scale], shape: []),
                Value(shape: [], data: .uint8([zp]))]
    }
}

/// onnxruntime's `GetQuantizationParameter` for UINT8 (see DynamicQuantizeLinearKernel).
func quantizationParameters(_ v: [Float]) -> (scale: Float, zeroPoint: UInt8) {
    guard !v.isEmpty else { return (1, 0) }
    let (lo, hi) = v.withUnsafeBufferPointer { rangeIncludingZero($0) }  // the range always includes 0
    let scale = hi == lo ? 1 : (hi - lo) / 255  // an all-zero input gets scale 1, zero point 0
    let initial = 0 - lo / scale
    let clamped = Swift.max(0, Swift.min(255, initial))
    let zp = clamped.isNaN ? 0 : UInt8(clamped.rounded(.toNearestOrEven))
    return (scale, zp)
}

/// clamp(round-half-even(x / scale) + zp, 0, 255) per element.
func quantize(_ v: [Float], scale: Float, zeroPoint: UInt8) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: v.count) { out, initialized in
        v.withUnsafeBufferPointer { quantizeLoop($0, scale: scale, zeroPoint: Float(zeroPoint), into: out.baseAddress!) }
        initialized = v.count
    }
}

/// ConvInteger: an integer convolution of (x - x_zero_point) and (w - w_zero_point) with exact INT32
/// results. Runs as a float conv on the centred values: every product is exact (|x - zp| <= 255,
/// |w - zp| <= 255) and so is every partial sum while it stays below 2^24 in magnitude; beyond that a
/// sum could round where onnxruntime's int32 accumulator does not. Padding contributes 0, like
/// onnxruntime's im2col padded with the input zero point.
struct ConvIntegerKernel: Kernel {
    let conv: ConvKernel
    /// (w - w_zero_point) as floats, [M, C/group, kH, kW], prepared at load.
    let centredWeight: Tensor
    let label: String

    init(_ ctx: NodeContext) throws {
        try ctx.arity(inputs: 2, 4)
        label = ctx.label
        guard let w = ctx.input(1) else { throw ONNXError.unsupported("\(label): a weight that is not a constant") }
        guard w.shape.count == 4 else { throw ONNXError.unsupported("\(label): weight \(w.shape) (only 2-D)") }
        let wq = try w.ints("\(label) weight")
        guard w.elementType == .int8 || w.elementType == .uint8 else {
            throw ONNXError.unsupported("\(label): weight of type \(w.elementType)")
        }
        var wzp = [Int](repeating: 0, count: 1)
        if ctx.node.inputs.count > 3, !ctx.node.inputs[3].isEmpty {
            guard let z = ctx.input(3) else { throw ONNXError.unsupported("\(label): a weight zero point that is not a constant") }
            guard z.elementType == w.elementType else { throw ONNXError.malformed("\(label): weight zero point type \(z.elementType)") }
            wzp = try z.ints(label)
            guard wzp.count == 1 || wzp.count == w.shape[0] else {
                throw ONNXError.malformed("\(label): weight zero point of \(wzp.count) values for \(w.shape[0]) filters")
            }
        }
        let perFilter = wq.count / Swift.max(1, w.shape[0])
        let centred = wq.enumerated().map { i, q in Float(q - wzp[wzp.count == 1 ? 0 : i / perFilter]) }
        centredWeight = Tensor(shape: w.shape, storage: centred)
        // The conv geometry (attributes) with the centred weight as a constant.
        let plain = NodeContext(node: ctx.node, opset: ctx.opset, attributes: ctx.attributes,
                                constants: [nil, Value(centredWeight)], fileBytes: ctx.fileBytes)
        conv = try ConvKernel(plain, inputCount: 2)
    }

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        let x = try expect(inputs[0], [.uint8, .int8], "\(label) input")
        if inputs.count > 2, let z = inputs[2], z != x { throw ONNXError.malformed("\(label): input zero point type \(z)") }
        return [.int32]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let acc = try accumulate(inputs[0]!, zeroPoint: inputs.count > 2 ? inputs[2] : nil)
        return [Value(shape: acc.shape, data: .int32(acc.storage.map { Int32($0) }))]
    }

    /// The integer convolution as exact float values (see the type's note on 2^24).
    func accumulate(_ x: Value, zeroPoint: Value?) throws -> Tensor {
        let zp = try zeroPoint.map { z -> Float in
            let v = try z.ints("\(label) input zero point")
            guard v.count == 1 else { throw ONNXError.unsupported("\(label): per-channel input zero point") }
            return Float(v[0])
        } ?? 0
        let centred: [Float]
        switch x.data {
        case .uint8(let q):
            centred = [Float](unsafeUninitializedCapacity: q.count) { out, initialized in
                q.withUnsafeBufferPointer { centreLoop($0, zeroPoint: zp, into: out.baseAddress!) }
                initialized = q.count
            }
        case .int8(let q): centred = q.map { Float($0) - zp }
        default: throw ONNXError.invalidInput("\(label): input of type \(x.elementType)")
        }
        return try conv.convolve(Tensor(shape: x.shape, storage: centred), centredWeight, nil, activation: nil)
    }
}
