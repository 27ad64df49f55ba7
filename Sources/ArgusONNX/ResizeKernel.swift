#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Resize (opset 11+) in modes nearest (any rank; coordinate_transformation_mode half_pixel, asymmetric,
/// align_corners, pytorch_half_pixel; every nearest_mode) and linear (the last two axes of a 4-D input), with
/// onnxruntime's float arithmetic: output size = trunc(in * scale), source coordinate in Float32.
struct ResizeKernel: Kernel {
    enum Mode: String, Sendable { case nearest, linear }
    enum Transform: String, Sendable {
        case halfPixel = "half_pixel", asymmetric, alignCorners = "align_corners"
        case pytorchHalfPixel = "pytorch_half_pixel"
    }
    enum Rounding: String, Sendable {
        case roundPreferFloor = "round_prefer_floor", roundPreferCeil = "round_prefer_ceil", floor, ceil
    }
    let mode: Mode
    let transform: Transform
    let rounding: Rounding
    let label: String

    init(_ ctx: NodeContext) throws {
        label = ctx.label
        guard ctx.opset >= 11 else { throw ONNXError.unsupported("\(label): Resize before opset 11") }
        try ctx.arity(inputs: 1, 4)
        let a = ctx.attributes
        try a.check(allowed: ["antialias", "coordinate_transformation_mode", "cubic_coeff_a", "exclude_outside",
                              "extrapolation_value", "keep_aspect_ratio_policy", "mode", "nearest_mode"])
        let m = try a.string("mode", default: "nearest")
        guard let mode = Mode(rawValue: m) else { throw ONNXError.unsupported("\(label): mode \(m)") }
        self.mode = mode
        let t = try a.string("coordinate_transformation_mode", default: "half_pixel")
        guard let transform = Transform(rawValue: t) else { throw ONNXError.unsupported("\(label): coordinate_transformation_mode \(t)") }
        self.transform = transform
        let r = try a.string("nearest_mode", default: "round_prefer_floor")
        guard let rounding = Rounding(rawValue: r) else { throw ONNXError.unsupported("\(label): nearest_mode \(r)") }
        self.rounding = rounding
        guard try a.int("antialias", default: 0) == 0, try a.int("exclude_outside", default: 0) == 0,
              try a.string("keep_aspect_ratio_policy", default: "stretch") == "stretch" else {
            throw ONNXError.unsupported("\(label): antialias / exclude_outside / keep_aspect_ratio_policy")
        }
    }

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        if inputs.count > 2, inputs[2] != nil { _ = try expect(inputs[2], [.float], "\(label) scales") }
        if inputs.count > 3, inputs[3] != nil { _ = try expect(inputs[3], [.int64], "\(label) sizes") }
        return [try expect(inputs[0], [.float], "\(label) input")]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let x = inputs[0]!
        let r = x.shape.count
        var scales: [Float]
        var outShape: [Int]
        if inputs.count > 2, let s = inputs[2], s.count > 0 {
            scales = try s.floats(label)
            guard scales.count == r, scales.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw ONNXError.invalidInput("\(label): scales \(scales) for rank \(r)")
            }
            outShape = try zip(x.shape, scales).map { d, sc in
                let o = Float(d) * sc
                guard o < Float(maxElements) else { throw ONNXError.invalidInput("\(label): output too large") }
                return Int(o)
            }
        } else if inputs.count > 3, let s = inputs[3] {
            outShape = try s.ints(label)
            guard outShape.count == r, outShape.allSatisfy({ $0 >= 0 }) else {
                throw ONNXError.invalidInput("\(label): sizes \(outShape) for rank \(r)")
            }
            scales = zip(outShape, x.shape).map { Float($0) / Float($1) }
        } else {
            throw ONNXError.invalidInput("\(label): neither scales nor sizes given")
        }
        let count = try checkedCount(outShape, label)
        let v = try x.floats(label)
        if mode == .linear { return [Value(floats: try linear(v, x.shape, outShape, scales), shape: outShape)] }
        // Per axis, the source index of every output position; then a strided gather.
        let maps = (0..<r).map { axis in
            (0..<outShape[axis]).map { nearest(Float($0), scale: scales[axis], input: x.shape[axis], output: outShape[axis]) }
        }
        let st = stridesOf(x.shape)
        // Source offsets of the output rows (all axes but the last), then each row gathered through
        // the last axis's map (no per-element offset table).
        var offsets = [0]
        for axis in 0..<max(0, r - 1) {
            var next: [Int] = []
            next.reserveCapacity(offsets.count * outShape[axis])
            for o in offsets { for i in maps[axis] { next.append(o + i * st[axis]) } }
            offsets = next
        }
        let last = r == 0 ? [0] : maps[r - 1].map { $0 * st[r - 1] }
        let out = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            v.withUnsafeBufferPointer { src in
                var k = 0
                for o in offsets {
                    for i in last { (buffer.baseAddress! + k).initialize(to: src[o + i]); k += 1 }
                }
                initialized = k
            }
        }
        return [Value(floats: out, shape: outShape)]
    }

    /// The source coordinate of output position `x` along an axis.
    private func original(_ x: Float, scale: Float, input: Int, output: Int) -> Float {
        switch transform {
        case .halfPixel: return (x + 0.5) / scale - 0.5
        case .asymmetric: return x / scale
        case .alignCorners: return output == 1 ? 0 : x * Float(input - 1) / Float(output - 1)
        case .pytorchHalfPixel: return output > 1 ? (x + 0.5) / scale - 0.5 : 0
        }
    }

    private func nearest(_ x: Float, scale: Float, input: Int, output: Int) -> Int {
        let o = original(x, scale: scale, input: input, output: output)
        let i: Float
        switch rounding {
        case .roundPreferFloor: i = o == o.rounded(.down) + 0.5 ? o.rounded(.down) : o.rounded()
        case .roundPreferCeil: i = o.rounded()  // halves away from zero = up for the non-negative coordinates that matter
        case .floor: i = o.rounded(.down)
        case .ceil: i = o.rounded(.up)
        }
        return i.isNaN ? 0 : Int(min(max(i, 0), Float(input - 1)))
    }

    /// Bilinear over the last two axes (all others unscaled), onnxruntime's UpsampleBilinear weights.
    private func linear(_ v: [Float], _ shape: [Int], _ outShape: [Int], _ scales: [Float]) throws -> [Float] {
        let r = shape.count
        guard r >= 2, (0..<(r - 2)).allSatisfy({ shape[$0] == outShape[$0] }) else {
            throw ONNXError.unsupported("\(label): linear resize of axes other than the last two")
        }
        let (h, w, oh, ow) = (shape[r - 2], shape[r - 1], outShape[r - 2], outShape[r - 1])
        func taps(_ n: Int, _ out: Int, _ scale: Float) -> [(Int, Int, Float, Float)] {
            (0..<out).map { i in
                let o = min(max(original(Float(i), scale: scale, input: n, output: out), 0), Float(n - 1))
                let i1 = min(Int(o), n - 1), i2 = min(i1 + 1, n - 1)
                if i1 == i2 { return (i1, i2, 0.5, 0.5) }
                return (i1, i2, o - Float(i1), Float(i2) - o)  // (w for i2, w for i1) as d1, d2
            }
        }
        let ty = taps(h, oh, scales[r - 2]), tx = taps(w, ow, scales[r - 1])
        let planes = shape[..<(r - 2)].reduce(1, *)
        var out = [Float](repeating: 0, count: planes * oh * ow)
        for p in 0..<planes {
            let src = p * h * w, dst = p * oh * ow
            for y in 0..<oh {
                let (y1, y2, dy1, dy2) = ty[y]
                for xx in 0..<ow {
                    let (x1, x2, dx1, dx2) = tx[xx]
                    let a = v[src + y1 * w + x1], b = v[src + y1 * w + x2]
                    let c = v[src + y2 * w + x1], d = v[src + y2 * w + x2]
                    out[dst + y * ow + xx] = dx2 * dy2 * a + dx1 * dy2 * b + dx2 * dy1 * c + dx1 * dy1 * d
                }
            }
        }
        return out
    }
}
