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
/// |w - zp| <= 255) and so is every partial sum while it stays below 2^24 in magnitude. At load the
/// worst case 255 * max over filters of sum |w - w_zp| is checked; when it could reach 2^24 (wide
/// layers of larger models; never in yolov8n, whose worst is 0.32 * 2^24) the input channels are cut
/// into chunks that each stay exact, and the chunk results are summed as integers. Padding
/// contributes 0, like onnxruntime's im2col padded with the input zero point.
struct ConvIntegerKernel: Kernel {
    let conv: ConvKernel
    /// (w - w_zero_point) as floats, [M, C/group, kH, kW], prepared at load.
    let centredWeight: Tensor
    /// Input-channel ranges and their weights when one float conv could round (group 1 only); nil = one conv.
    let chunks: [(channels: Range<Int>, weight: Tensor)]?
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
        chunks = try Self.exactChunks(centredWeight, group: try ctx.attributes.int("group", default: 1), label)
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
        switch try integerConv(inputs[0]!, zeroPoint: inputs.count > 2 ? inputs[2] : nil) {
        case .exactFloats(let t): return [Value(shape: t.shape, data: .int32(t.storage.map { Int32($0) }))]
        case .integers(let shape, let v): return [Value(shape: shape, data: .int32(v))]
        }
    }

    /// The integer convolution converted to float as a following Cast(FLOAT) would (nearest float).
    func accumulate(_ x: Value, zeroPoint: Value?) throws -> Tensor {
        switch try integerConv(x, zeroPoint: zeroPoint) {
        case .exactFloats(let t): return t
        case .integers(let shape, let v): return Tensor(shape: shape, storage: v.map { Float($0) })
        }
    }

    /// One float conv whose values are exact integers (all below 2^24), or chunk sums as INT32.
    private enum Accumulator {
        case exactFloats(Tensor)
        case integers([Int], [Int32])
    }

    private func integerConv(_ x: Value, zeroPoint: Value?) throws -> Accumulator {
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
        let input = Tensor(shape: x.shape, storage: centred)
        guard let chunks else { return .exactFloats(try conv.convolve(input, centredWeight, nil, activation: nil)) }
        // Each chunk's float conv is exact; the integer sum of the chunks is onnxruntime's int32 accumulator.
        guard input.rank == 4, input.shape[1] == centredWeight.shape[1] else {
            throw ONNXError.invalidInput("\(label): input \(input.shape) does not fit weight \(centredWeight.shape)")
        }
        var total: [Int64] = []
        var shape: [Int] = []
        let (n, c, plane) = (input.shape[0], input.shape[1], input.shape[2] * input.shape[3])
        for chunk in chunks {
            var part = [Float]()
            part.reserveCapacity(n * chunk.channels.count * plane)
            for image in 0..<n {
                let start = (image * c + chunk.channels.lowerBound) * plane
                part.append(contentsOf: centred[start..<(start + chunk.channels.count * plane)])
            }
            let slice = Tensor(shape: [n, chunk.channels.count, input.shape[2], input.shape[3]], storage: part)
            let result = try conv.convolve(slice, chunk.weight, nil, activation: nil)
            if total.isEmpty { total = [Int64](repeating: 0, count: result.count); shape = result.shape }
            for i in 0..<result.count { total[i] += Int64(result.storage[i]) }
        }
        return .integers(shape, total.map { Int32(truncatingIfNeeded: $0) })  // int32 wraps like onnxruntime's
    }

    /// The largest |partial sum| the float conv can meet is 255 * (largest per-filter sum of |w|) (one
    /// input chunk); when that reaches 2^24, input-channel chunks that each stay below it.
    static func exactChunks(_ w: Tensor, group: Int, _ label: String) throws -> [(channels: Range<Int>, weight: Tensor)]? {
        let (m, cin, taps) = (w.shape[0], w.shape[1], w.shape[2] * w.shape[3])
        let limit: Float = 16_777_216 / 255
        // l1[f][c]: sum over the taps of |w[f, c]|.
        var l1 = [Float](repeating: 0, count: m * cin)
        for f in 0..<m { for ch in 0..<cin { for t in 0..<taps { l1[f * cin + ch] += abs(w.storage[(f * cin + ch) * taps + t]) } } }
        let worst = (0..<m).map { f in l1[(f * cin)..<((f + 1) * cin)].reduce(0, +) }.max() ?? 0
        if worst < limit { return nil }
        guard group == 1 else { throw ONNXError.unsupported("\(label): a grouped ConvInteger whose sums could exceed 2^24") }
        var ranges: [Range<Int>] = []
        var start = 0
        var running = [Float](repeating: 0, count: m)
        for ch in 0..<cin {
            let grown = (0..<m).map { running[$0] + l1[$0 * cin + ch] }
            if ch > start && grown.max()! >= limit {
                ranges.append(start..<ch)
                start = ch
                running = (0..<m).map { l1[$0 * cin + ch] }
            } else {
                running = grown
            }
        }
        ranges.append(start..<cin)
        return ranges.map { r in
            var part = [Float]()
            for f in 0..<m { part.append(contentsOf: w.storage[((f * cin + r.lowerBound) * taps)..<((f * cin + r.upperBound) * taps)]) }
            return (r, Tensor(shape: [m, r.count, w.shape[2], w.shape[3]], storage: part))
        }
    }
}
