import ArgusTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Add, Sub, Mul, Div with numpy broadcasting on FLOAT, INT64 and INT32 (integer Div truncates toward
/// zero like onnxruntime's C++ `/`; a zero divisor is an error instead of a trap; integer overflow wraps).
struct BinaryKernel: Kernel {
    enum Op: String, Sendable { case add = "Add", sub = "Sub", mul = "Mul", div = "Div" }
    let op: Op
    let label: String
    var limitBytes = maxNodeOutputBytes

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        let a = try expect(inputs[0], [.float, .int64, .int32], "\(label) input A")
        let b = try expect(inputs[1], [.float, .int64, .int32], "\(label) input B")
        guard a == b else { throw ONNXError.malformed("\(label): input types \(a) and \(b) differ") }
        return [a]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let a = inputs[0]!, b = inputs[1]!
        let shape = try broadcastShape(a.shape, b.shape, label)
        _ = try checkedCount(shape, label, a.elementType, limitBytes: limitBytes)
        switch (a.data, b.data) {
        case let (.float(x), .float(y)):
            if a.shape == b.shape { return [Value(shape: shape, data: .float(sameShape(x, y)))] }
            let r: [Float]
            switch op {
            case .add: r = broadcastApply(x, a.shape, y, b.shape, outShape: shape, +)
            case .sub: r = broadcastApply(x, a.shape, y, b.shape, outShape: shape, -)
            case .mul: r = broadcastApply(x, a.shape, y, b.shape, outShape: shape, *)
            case .div: r = broadcastApply(x, a.shape, y, b.shape, outShape: shape, /)
            }
            return [Value(shape: shape, data: .float(r))]
        case let (.int64(x), .int64(y)):
            return [Value(shape: shape, data: .int64(try integer(x, a.shape, y, b.shape, shape)))]
        case let (.int32(x), .int32(y)):
            return [Value(shape: shape, data: .int32(try integer(x, a.shape, y, b.shape, shape)))]
        default:
            throw ONNXError.invalidInput("\(label): inputs of types \(a.elementType) and \(b.elementType)")
        }
    }

    /// Elementwise over equal shapes (the residual adds): one vectorizable loop per op, split over
    /// the engine's workers (each element computed alike, so the split never changes a result).
    private func sameShape(_ x: [Float], _ y: [Float]) -> [Float] {
        [Float](unsafeUninitializedCapacity: x.count) { out, initialized in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeBufferPointer { py in
                    let o = out.baseAddress!, a = px.baseAddress!, b = py.baseAddress!
                    parallelSlices(x.count) { r in
                        switch op {
                        case .add: for i in r { (o + i).initialize(to: a[i] + b[i]) }
                        case .sub: for i in r { (o + i).initialize(to: a[i] - b[i]) }
                        case .mul: for i in r { (o + i).initialize(to: a[i] * b[i]) }
                        case .div: for i in r { (o + i).initialize(to: a[i] / b[i]) }
                        }
                    }
                }
            }
            initialized = x.count
        }
    }

    private func integer<T: FixedWidthInteger>(_ x: [T], _ xs: [Int], _ y: [T], _ ys: [Int], _ shape: [Int]) throws -> [T] {
        switch op {
        case .add: return broadcastApply(x, xs, y, ys, outShape: shape, &+)
        case .sub: return broadcastApply(x, xs, y, ys, outShape: shape, &-)
        case .mul: return broadcastApply(x, xs, y, ys, outShape: shape, &*)
        case .div:
            guard !y.contains(0) else { throw ONNXError.invalidInput("\(label): integer division by zero") }
            // min / -1 overflows: wrap like two's complement hardware would not (it traps), so define it.
            return broadcastApply(x, xs, y, ys, outShape: shape) { $1 == -1 ? 0 &- $0 : $0 / $1 }
        }
    }
}

/// Sigmoid on FLOAT with onnxruntime's approximation (`mlasLogistic`).
struct SigmoidKernel: Kernel {
    let label: String
    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        [try expect(inputs[0], [.float], "\(label) input")]
    }
    func run(_ inputs: [Value?]) throws -> [Value] {
        let x = inputs[0]!
        var v = try x.floats(label)
        v.withUnsafeMutableBufferPointer { logisticInPlace($0.baseAddress!, count: $0.count) }
        return [Value(floats: v, shape: x.shape)]
    }
}

/// Identity: the input unchanged.
struct IdentityKernel: Kernel {
    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        guard let t = inputs[0] else { throw ONNXError.malformed("Identity input missing") }
        return [t]
    }
    func run(_ inputs: [Value?]) throws -> [Value] { [inputs[0]!] }
}

/// Cast between the supported element types with onnxruntime's conversions: float -> integer
/// truncates toward zero (out-of-range and NaN saturate here instead of being undefined), integer ->
/// narrower integer wraps, anything -> BOOL is `!= 0`.
struct CastKernel: Kernel {
    let to: ElementType
    let label: String

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        _ = try expect(inputs[0], [.float, .int64, .int32, .int8, .uint8, .bool], "\(label) input")
        return [to]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let x = inputs[0]!
        if x.elementType == to { return [x] }
        let data: ValueData
        if case .float(let v) = x.data {
            switch to {
            case .float: data = .float(v)
            case .int64: data = .int64(v.map { Int64(saturating: $0) })
            case .int32: data = .int32(v.map { Int32(truncatingIfNeeded: Int64(saturating: $0)) })
            case .int8: data = .int8(v.map { Int8(truncatingIfNeeded: Int64(saturating: $0)) })
            case .uint8: data = .uint8(v.map { UInt8(truncatingIfNeeded: Int64(saturating: $0)) })
            case .bool: data = .bool(v.map { $0 != 0 })
            }
        } else {
            let ints = try x.ints(label)
            switch to {
            case .float:
                // INT32 -> FLOAT: the nearest float, as static_cast does.
                if case .int32(let v) = x.data { data = .float(v.map { Float($0) }) } else { data = .float(ints.map { Float($0) }) }
            case .int64: data = .int64(ints.map { Int64($0) })
            case .int32: data = .int32(ints.map { Int32(truncatingIfNeeded: $0) })
            case .int8: data = .int8(ints.map { Int8(truncatingIfNeeded: $0) })
            case .uint8: data = .uint8(ints.map { UInt8(truncatingIfNeeded: $0) })
            case .bool: data = .bool(ints.map { $0 != 0 })
            }
        }
        return [Value(shape: x.shape, data: data)]
    }
}

extension Int64 {
    /// Truncation toward zero, saturating at the type's range (NaN -> 0) instead of trapping.
    init(saturating f: Float) {
        if f.isNaN { self = 0 } else if f >= 9.223372e18 { self = .max } else if f <= -9.223372e18 { self = .min } else { self = Int64(f) }
    }
}

/// Elementwise float functions with their plain definitions (libm exp/sqrt/tanh; onnxruntime's
/// vectorized versions agree within an ulp or two).
struct UnaryKernel: Kernel {
    enum Op: String, Sendable, CaseIterable {
        case exp = "Exp", relu = "Relu", neg = "Neg", abs = "Abs", sqrt = "Sqrt", tanh = "Tanh"
        case floor = "Floor", ceil = "Ceil", reciprocal = "Reciprocal"
    }
    let op: Op
    let label: String

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        [try expect(inputs[0], [.float], "\(label) input")]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let x = inputs[0]!
        let v = try x.floats(label)
        let r: [Float]
        switch op {
        case .exp: r = v.map { expf($0) }
        case .relu: r = v.map { $0 > 0 ? $0 : 0 }
        case .neg: r = v.map { -$0 }
        case .abs: r = v.map { Swift.abs($0) }
        case .sqrt: r = v.map { $0.squareRoot() }
        case .tanh: r = v.map { tanhf($0) }
        case .floor: r = v.map { $0.rounded(.down) }
        case .ceil: r = v.map { $0.rounded(.up) }
        case .reciprocal: r = v.map { 1 / $0 }
        }
        return [Value(floats: r, shape: x.shape)]
    }
}
