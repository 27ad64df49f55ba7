/// Ops that make tensors from shapes and scalars (seen in traced exports that build grids in the
/// graph): Range, Expand, ConstantOfShape. Outputs are bounded by `maxElements`.

/// Range(start, limit, delta) on FLOAT / INT64 / INT32 scalars: max(ceil((limit - start) / delta), 0) values.
struct RangeKernel: Kernel {
    let label: String

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
            let n = try count(Double(l[0] - s[0]) / Double(d[0]))
            // onnxruntime accumulates start + i * delta in the element type.
            return [Value(floats: (0..<n).map { s[0] + Float($0) * d[0] }, shape: [n])]
        default:
            let (s, l, d) = (try values[0].ints(label)[0], try values[1].ints(label)[0], try values[2].ints(label)[0])
            guard d != 0 else { throw ONNXError.invalidInput("\(label): delta 0") }
            let span = Double(l) - Double(s)
            let n = try count(span / Double(d))
            let r = (0..<n).map { Int64(s) &+ Int64($0) &* Int64(d) }
            if values[0].elementType == .int32 {
                return [Value(shape: [n], data: .int32(r.map { Int32(truncatingIfNeeded: $0) }))]
            }
            return [Value(int64s: r, shape: [n])]
        }
    }

    private func count(_ steps: Double) throws -> Int {
        guard !steps.isNaN else { throw ONNXError.invalidInput("\(label): delta 0 or non-finite bounds") }
        let n = Swift.max(0, steps.rounded(.up))  // +inf fails the size check below
        guard n <= Double(maxElements) else { throw ONNXError.invalidInput("\(label): \(n) values is too many") }
        return Int(n)
    }
}

/// Expand(input, shape): the input broadcast (numpy rules, both ways) to `shape`.
struct ExpandKernel: Kernel {
    let label: String

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        _ = try expect(inputs[1], [.int64], "\(label) shape")
        return [try expect(inputs[0], [.float, .int64, .int32, .int8, .uint8, .bool], "\(label) input")]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let x = inputs[0]!
        let target = try inputs[1]!.ints(label)
        guard target.allSatisfy({ $0 >= 0 }) else { throw ONNXError.invalidInput("\(label): shape \(target)") }
        let shape = try broadcastShape(x.shape, target, label)
        _ = try checkedCount(shape, label)
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

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        _ = try expect(inputs[0], [.int64], "\(label) shape")
        return [fill.elementType]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let shape = try inputs[0]!.ints(label)
        let n = try checkedCount(shape, label)
        return [Value(shape: shape, data: try fill.data.map(Pick(indices: [Int](repeating: 0, count: n))))]
    }
}
