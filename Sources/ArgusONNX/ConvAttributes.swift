/// Conv / ConvTranspose / MaxPool window attributes (2-D only), parsed and checked at load.
struct WindowAttributes: Sendable {
    enum AutoPad: String, Sendable { case notSet = "NOTSET", valid = "VALID", sameUpper = "SAME_UPPER", sameLower = "SAME_LOWER" }
    var kernel: (Int, Int)?
    var strides = (1, 1)
    var dilations = (1, 1)
    /// (top, left, bottom, right): ONNX's [x1_begin, x2_begin, x1_end, x2_end].
    var pads = (0, 0, 0, 0)
    var autoPad = AutoPad.notSet

    init(_ a: Attributes) throws {
        func pair(_ name: String) throws -> (Int, Int)? {
            guard let v = try a.ints(name) else { return nil }
            guard v.count == 2 else { throw ONNXError.unsupported("\(a.label): \(name) \(v) (only 2-D windows are supported)") }
            return (v[0], v[1])
        }
        kernel = try pair("kernel_shape")
        strides = try pair("strides") ?? (1, 1)
        dilations = try pair("dilations") ?? (1, 1)
        if let p = try a.ints("pads") {
            guard p.count == 4 else { throw ONNXError.unsupported("\(a.label): pads \(p) (only 2-D windows are supported)") }
            pads = (p[0], p[1], p[2], p[3])
        }
        let mode = try a.string("auto_pad", default: "NOTSET")
        guard let m = AutoPad(rawValue: mode) else { throw ONNXError.unsupported("\(a.label): auto_pad \(mode)") }
        autoPad = m
        guard strides.0 >= 1, strides.1 >= 1, dilations.0 >= 1, dilations.1 >= 1,
              pads.0 >= 0, pads.1 >= 0, pads.2 >= 0, pads.3 >= 0,
              strides.0 <= 1 << 16, strides.1 <= 1 << 16, dilations.0 <= 1 << 16, dilations.1 <= 1 << 16,
              max(pads.0, pads.1, pads.2, pads.3) <= 1 << 16 else {
            throw ONNXError.malformed("\(a.label): strides \(strides), dilations \(dilations), pads \(pads) out of range")
        }
        if let k = kernel, !(k.0 >= 1 && k.1 >= 1 && k.0 <= 1 << 16 && k.1 <= 1 << 16) {
            throw ONNXError.malformed("\(a.label): kernel_shape \(k)")
        }
    }

    /// The explicit pads (top, left, bottom, right) for an input of (h, w) and a kernel (kH, kW).
    func resolvedPads(input: (Int, Int), kernel k: (Int, Int)) -> (Int, Int, Int, Int) {
        switch autoPad {
        case .notSet: return pads
        case .valid: return (0, 0, 0, 0)
        case .sameUpper, .sameLower:
            func total(_ n: Int, _ s: Int, _ k: Int, _ d: Int) -> Int {
                max(0, ((n + s - 1) / s - 1) * s + (k - 1) * d + 1 - n)
            }
            let th = total(input.0, strides.0, k.0, dilations.0), tw = total(input.1, strides.1, k.1, dilations.1)
            let lowerH = autoPad == .sameUpper ? th / 2 : (th + 1) / 2
            let lowerW = autoPad == .sameUpper ? tw / 2 : (tw + 1) / 2
            return (lowerH, lowerW, th - lowerH, tw - lowerW)
        }
    }
}

/// The NCHW input with explicit constant padding (top, left, bottom, right), for asymmetric pads.
func padded(_ x: [Float], n: Int, c: Int, h: Int, w: Int, _ p: (Int, Int, Int, Int), value: Float) -> (data: [Float], h: Int, w: Int) {
    let oh = h + p.0 + p.2, ow = w + p.1 + p.3
    var out = [Float](repeating: value, count: n * c * oh * ow)
    out.withUnsafeMutableBufferPointer { o in
        x.withUnsafeBufferPointer { s in
            for plane in 0..<(n * c) {
                for y in 0..<h {
                    let src = s.baseAddress! + (plane * h + y) * w
                    let dst = o.baseAddress! + (plane * oh + y + p.0) * ow + p.1
                    dst.update(from: src, count: w)
                }
            }
        }
    }
    return (out, oh, ow)
}
