import ArgusTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// MaxPool (2-D, one output) on ArgusTensor's maxPool2d: symmetric pads up to half the kernel directly;
/// other pads (asymmetric or auto_pad SAME) as an explicit -inf border with ceil_mode 0.
struct MaxPoolKernel: Kernel {
    let window: WindowAttributes
    let kernel: (Int, Int)
    let ceilMode: Bool
    let label: String

    init(_ ctx: NodeContext) throws {
        try ctx.arity(inputs: 1, 1)
        let a = ctx.attributes
        try a.check(allowed: ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"])
        label = ctx.label
        window = try WindowAttributes(a)
        guard let k = window.kernel else { throw ONNXError.malformed("\(label): kernel_shape missing") }
        kernel = k
        ceilMode = try a.int("ceil_mode", default: 0) != 0
        guard try a.int("storage_order", default: 0) == 0 else { throw ONNXError.unsupported("\(label): storage_order 1") }
    }

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        [try expect(inputs[0], [.float], "\(label) input")]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        var x = try inputs[0]!.tensor(label)
        guard x.rank == 4 else { throw ONNXError.invalidInput("\(label): input \(x.shape) must be 4-D") }
        var p = window.resolvedPads(input: (x.shape[2], x.shape[3]), kernel: kernel)
        let direct = p.0 == p.2 && p.1 == p.3 && p.0 <= kernel.0 / 2 && p.1 <= kernel.1 / 2
        if !direct {
            guard !ceilMode else { throw ONNXError.unsupported("\(label): ceil_mode with pads \(p)") }
            let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            _ = try checkedCount([n, c, h + p.0 + p.2, w + p.1 + p.3], label)
            let q = padded(x.storage, n: n, c: c, h: h, w: w, p, value: -.infinity)
            x = Tensor(shape: [n, c, q.h, q.w], storage: q.data)
            p = (0, 0, 0, 0)
        }
        let pads = (p.0, p.1)
        return [Value(try tensorOp(label) {
            try maxPool2d(x, kernel: kernel, stride: window.strides, padding: pads, dilation: window.dilations,
                          ceilMode: ceilMode)
        })]
    }
}

/// Softmax: from opset 13 along one axis (default -1); before, over the input coerced to 2-D at
/// `axis` (default 1), i.e. over all trailing axes together.
struct SoftmaxKernel: Kernel {
    let axis: Int
    let coerce2D: Bool
    let label: String

    init(_ ctx: NodeContext) throws {
        try ctx.arity(inputs: 1, 1)
        try ctx.attributes.check(allowed: ["axis"])
        label = ctx.label
        coerce2D = ctx.opset < 13
        axis = try ctx.attributes.int("axis", default: coerce2D ? 1 : -1)
    }

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        [try expect(inputs[0], [.float], "\(label) input")]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let x = inputs[0]!
        let r = x.shape.count
        guard r >= 1 else { throw ONNXError.invalidInput("\(label): scalar input") }
        let a = try normalizeAxis(axis, rank: r, label)
        var v = try x.floats(label)
        let outer: Int, length: Int, inner: Int
        if coerce2D {
            (outer, length, inner) = (x.shape[..<a].reduce(1, *), x.shape[a...].reduce(1, *), 1)
        } else {
            (outer, length, inner) = (x.shape[..<a].reduce(1, *), x.shape[a], x.shape[(a + 1)...].reduce(1, *))
        }
        guard length > 0 else { return [x] }
        v.withUnsafeMutableBufferPointer { p in
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o * length * inner + i
                    var m = -Float.infinity
                    for k in 0..<length { m = max(m, p[base + k * inner]) }
                    var sum: Float = 0
                    for k in 0..<length {
                        let e = expf(p[base + k * inner] - m)
                        p[base + k * inner] = e
                        sum += e
                    }
                    let scale = 1 / sum  // onnxruntime multiplies by the reciprocal
                    for k in 0..<length { p[base + k * inner] *= scale }
                }
            }
        }
        return [Value(floats: v, shape: x.shape)]
    }
}
