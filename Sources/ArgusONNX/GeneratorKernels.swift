/// Ops that make tensors from shapes and scalars (seen in traced exports that build grids in the
/// graph): Range, Expand, ConstantOfShape. Outputs are bounded by `limitBytes` (the node bound, or what is
/// left of the folding budget for a node evaluated at load).

/// Range(start, limit, delta) on FLOAT / INT64 / INT32 scalars: max(ceil((limit - start) / delta), 0) values.
struct RangeKernel: Kernel {
    let label: String
    var limitBytes = maxNodeOutputBytes

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        let t = try expect(inputs[0], [.float, .int64, .int32], "\(label) start")
        guard inputs[1] == t, inputs[2] == t else { throw ONNXError.malformed("\(label): inputs of mixed types") }
        return [t]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let values = inputs.map { $0! }
        guard values.allSatisfy({ $0.count == 1 }) else { throw ONNXError.invalidInput("\(label): start, limit and delta must be scalars") }
        switch (values[0].data, values[1].data, values[2].data) {
        case let (.float(s), .float(l), .float(d)):
            let n = try count(Double(l[0] - s[0]) / Double(d[0]), .float)
            // onnxruntime accumulates start + i * delta in the element type.
            return [Value(floats: filled(n) { s[0] + Float($0) * d[0] }, shape: [n])]
        default:
            let (s, l, d) = (try values[0].ints(label)[0], try values[1].ints(label)[0], try values[2].ints(label)[0])
            guard d != 0 else { throw ONNXError.invalidInput("\(label): delta 0") }
            let span = Double(l) - Double(s)
            let type = values[0].elementType
            let n = try count(span / Double(d), type)
            func element(_ i: Int) -> Int64 { Int64(s) &+ Int64(i) &* Int64(d) }
            // Built in the output type directly: no INT64 copy twice the size of an INT32 result.
            if type == .int32 {
                return [Value(shape: [n], data: .int32(filled(n) { Int32(truncatingIfNeeded: element($0)) }))]
            }
            return [Value(int64s: filled(n, element), shape: [n])]
        }
    }

    /// [f(0), ..., f(n - 1)] written in place (a map over a range builds it element by element through the
    /// sequence protocol, which dominates a large folded Range under the sanitizers).
    private func filled<T>(_ n: Int, _ f: (Int) -> T) -> [T] {
        [T](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n { (buffer.baseAddress! + i).initialize(to: f(i)) }
            count = n
        }
    }

    private func count(_ steps: Double, _ type: ElementType) throws -> Int {
        guard !steps.isNaN else { throw ONNXError.invalidInput("\(label): delta 0 or non-finite bounds") }
        let n = Swift.max(0, steps.rounded(.up))  // +inf fails the size check below
        guard n <= Double(limitBytes / type.byteWidth) else {
            throw ONNXError.invalidInput("\(label): \(n) values is too many (over \(limitBytes >> 20) MiB)")
        }
        return Int(n)
    }
}

/// Expand(input, shape): the input broadcast (numpy rules, both ways) to `shape`.
struct ExpandKernel: Kernel {
    let label: String
    var limitBytes = maxNodeOutputBytes

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        _ = try expect(inputs[1], [.int64], "\(label) shape")
        return [try expect(inputs[0], [.float, .int64, .int32, .int8, .uint8, .bool], "\(label) input")]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let x = inputs[0]!
        let target = try inputs[1]!.ints(label)
        guard target.allSatisfy({ $0 >= 0 }) else { throw ONNXError.invalidInput("\(label): shape \(target)") }
        let shape = try broadcastShape(x.shape, target, label)
        _ = try checkedCount(shape, label, x.elementType, limitBytes: limitBytes)
        // Input strides aligned to the output's trailing axes, 0 where the input repeats.
        let own = stridesOf(x.shape)
        let offset = shape.count - x.shape.count
        let strides = shape.indices.map { i -> Int in
            i < offset || x.shape[i - offset] == 1 ? 0 : own[i - offset]
        }
        return [Value(shape: shape, data: try x.data.map(StridedPick(shape: shape, strides: strides, base: 0)))]
    }
}

/// ConstantOfShape(shape) filled with the `value` attribute's single element (default FLOAT 0).
struct ConstantOfShapeKernel: Kernel {
    let fill: Value
    let label: String
    var limitBytes = maxNodeOutputBytes

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        _ = try expect(inputs[0], [.int64], "\(label) shape")
        return [fill.elementType]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let shape = try inputs[0]!.ints(label)
        let n = try checkedCount(shape, label, fill.elementType, limitBytes: limitBytes)
        return [Value(shape: shape, data: try fill.data.map(Repeat(count: n)))]
    }
}

/// A one-element array repeated `count` times (an index array of `count` Ints would cost 8 bytes per element).
struct Repeat: ElementMap {
    let count: Int
    func callAsFunction<T>(_ v: [T]) throws -> [T] { count == 0 ? [] : [T](repeating: v[0], count: count) }
}
