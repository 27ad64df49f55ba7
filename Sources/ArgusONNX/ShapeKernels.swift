import ArgusTensor

/// Layout ops: they move elements without arithmetic, generically over every element type.

/// Row-major strides of a shape.
func stridesOf(_ shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
    return s
}

/// Picks elements by precomputed source indices, keeping the element type.
struct Pick: ElementMap {
    let indices: [Int]
    func callAsFunction<T>(_ v: [T]) throws -> [T] { indices.map { v[$0] } }
}

/// Reshape (opset 5+: shape as an INT64 input; 0 copies the input dim unless allowzero, one -1 is inferred).
struct ReshapeKernel: Kernel {
    let allowZero: Bool
    let label: String

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        _ = try expect(inputs[1], [.int64], "\(label) shape")
        return [try expect(inputs[0], [.float, .int64, .int32, .int8, .uint8, .bool], "\(label) data")]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let x = inputs[0]!
        let spec = try inputs[1]!.ints(label)
        guard inputs[1]!.shape.count == 1 else { throw ONNXError.invalidInput("\(label): shape must be 1-D") }
        return [x.reshaped(try resolveShape(spec, input: x.shape, allowZero: allowZero, label))]
    }
}

/// Resolves a Reshape spec (0 = copy, -1 = infer) against the input shape.
func resolveShape(_ spec: [Int], input: [Int], allowZero: Bool, _ label: String) throws -> [Int] {
    var out = spec
    var inferred: Int?
    for (i, d) in spec.enumerated() {
        if d == 0 && !allowZero {
            guard i < input.count else { throw ONNXError.invalidInput("\(label): 0 at axis \(i) beyond input rank") }
            out[i] = input[i]
        } else if d == -1 {
            guard inferred == nil else { throw ONNXError.invalidInput("\(label): more than one -1 in \(spec)") }
            inferred = i
        } else if d < 0 {
            throw ONNXError.invalidInput("\(label): dimension \(d) in \(spec)")
        }
    }
    let total = input.reduce(1, *)
    if let i = inferred {
        var known = 1
        for (j, d) in out.enumerated() where j != i {
            let (m, o) = known.multipliedReportingOverflow(by: d)
            guard !o else { throw ONNXError.invalidInput("\(label): shape \(spec) overflows") }
            known = m
        }
        guard known > 0, total % known == 0 else {
            throw ONNXError.invalidInput("\(label): cannot reshape \(input) to \(spec)")
        }
        out[i] = total / known
    }
    guard (try? checkedCount(out, label)) == total else {
        throw ONNXError.invalidInput("\(label): cannot reshape \(input) to \(spec)")
    }
    return out
}

/// Transpose (perm default: reversed axes).
struct TransposeKernel: Kernel {
    let perm: [Int]?
    let label: String

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        [try expect(inputs[0], [.float, .int64, .int32, .int8, .uint8, .bool], "\(label) data")]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let x = inputs[0]!
        let r = x.shape.count
        let p = perm ?? Array((0..<r).reversed())
        guard p.count == r, Set(p) == Set(0..<r) else {
            throw ONNXError.invalidInput("\(label): perm \(p) does not fit rank \(r)")
        }
        let outShape = p.map { x.shape[$0] }
        let inStrides = stridesOf(x.shape)
        let pick = StridedPick(shape: outShape, strides: p.map { inStrides[$0] }, base: 0)
        return [Value(shape: outShape, data: try x.data.map(pick))]
    }
}

/// Concat along `axis` (negative counts from the end).
struct ConcatKernel: Kernel {
    let axis: Int
    let label: String

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        let types = try inputs.map { try expect($0, [.float, .int64, .int32, .int8, .uint8, .bool], "\(label) input") }
        guard Set(types).count == 1 else { throw ONNXError.malformed("\(label): inputs of mixed types \(types)") }
        return [types[0]]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let values = inputs.map { $0! }
        let first = values[0]
        let a = try normalizeAxis(axis, rank: first.shape.count, label)
        var shape = first.shape
        shape[a] = 0
        for v in values {
            guard v.shape.count == first.shape.count,
                  v.shape.indices.allSatisfy({ $0 == a || v.shape[$0] == first.shape[$0] }) else {
                throw ONNXError.invalidInput("\(label): shapes \(values.map(\.shape)) differ outside axis \(axis)")
            }
            shape[a] += v.shape[a]
        }
        if case .float = first.data {
            return [Value(try tensorOp(label) { try concat(values.map { try $0.tensor(label) }, axis: a) })]
        }
        let outer = first.shape[..<a].reduce(1, *)
        let inner = first.shape[(a + 1)...].reduce(1, *)
        // Source (input, offset) of each output run, then a generic gather over the joined elements.
        var offsets: [Int] = []
        var base = 0
        for v in values { offsets.append(base); base += v.count }
        var indices: [Int] = []
        indices.reserveCapacity(base)
        for o in 0..<outer {
            for (k, v) in values.enumerated() {
                let run = v.shape[a] * inner
                let start = offsets[k] + o * run
                indices.append(contentsOf: start..<(start + run))
            }
        }
        let joined = try joinData(values.map(\.data), label)
        return [Value(shape: shape, data: try joined.map(Pick(indices: indices)))]
    }
}

/// All arrays of the same element type appended into one.
func joinData(_ parts: [ValueData], _ label: String) throws -> ValueData {
    func all<T>(_ extract: (ValueData) -> [T]?) throws -> [T] {
        var out: [T] = []
        for p in parts {
            guard let v = extract(p) else { throw ONNXError.invalidInput("\(label): inputs of mixed element types") }
            out.append(contentsOf: v)
        }
        return out
    }
    switch parts[0] {
    case .float: return .float(try all { if case .float(let v) = $0 { return v } else { return nil } })
    case .int64: return .int64(try all { if case .int64(let v) = $0 { return v } else { return nil } })
    case .int32: return .int32(try all { if case .int32(let v) = $0 { return v } else { return nil } })
    case .int8: return .int8(try all { if case .int8(let v) = $0 { return v } else { return nil } })
    case .uint8: return .uint8(try all { if case .uint8(let v) = $0 { return v } else { return nil } })
    case .bool: return .bool(try all { if case .bool(let v) = $0 { return v } else { return nil } })
    }
}

/// The elements of x[..., range, ...] along `axis` with step, as source indices.
func axisPick(_ shape: [Int], axis: Int, _ positions: [Int]) -> [Int] {
    let outer = shape[..<axis].reduce(1, *)
    let length = shape[axis]
    let inner = shape[(axis + 1)...].reduce(1, *)
    var indices: [Int] = []
    indices.reserveCapacity(outer * positions.count * inner)
    for o in 0..<outer {
        for p in positions {
            let start = (o * length + p) * inner
            indices.append(contentsOf: start..<(start + inner))
        }
    }
    return indices
}

/// Split along `axis` into the `split` sizes (input 1 from opset 13, attribute before), or into
/// `num_outputs` parts (opset 18: ceil-sized, the last smaller), or equal parts per output.
struct SplitKernel: Kernel {
    let axis: Int
    let splitAttribute: [Int]?
    let numOutputs: Int?
    let outputs: Int
    let label: String

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        if inputs.count > 1, inputs[1] != nil { _ = try expect(inputs[1], [.int64], "\(label) split") }
        let t = try expect(inputs[0], [.float, .int64, .int32, .int8, .uint8, .bool], "\(label) input")
        return [ElementType](repeating: t, count: outputs)
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let x = inputs[0]!
        let a = try normalizeAxis(axis, rank: x.shape.count, label)
        let length = x.shape[a]
        var sizes: [Int]
        if inputs.count > 1, let s = inputs[1] {
            sizes = try s.ints(label)
        } else if let s = splitAttribute {
            sizes = s
        } else if let n = numOutputs {
            let chunk = (length + n - 1) / n
            sizes = (0..<n).map { max(0, min(chunk, length - $0 * chunk)) }
        } else {
            guard length % outputs == 0 else {
                throw ONNXError.invalidInput("\(label): axis length \(length) does not split into \(outputs) equal parts")
            }
            sizes = [Int](repeating: length / outputs, count: outputs)
        }
        guard sizes.count == outputs, sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == length else {
            throw ONNXError.invalidInput("\(label): split sizes \(sizes) do not fit axis length \(length) and \(outputs) outputs")
        }
        if case .float = x.data {
            let t = try x.tensor(label)
            return try tensorOp(label) { try split(t, sizes: sizes, axis: a) }.map { Value($0) }
        }
        var start = 0
        return try sizes.map { size in
            var shape = x.shape
            shape[a] = size
            let picked = try x.data.map(Pick(indices: axisPick(x.shape, axis: a, Array(start..<(start + size)))))
            start += size
            return Value(shape: shape, data: picked)
        }
    }
}

/// Slice (opset 10+: starts/ends/axes/steps inputs; opset 1-9: attributes), with ONNX's clamping rules.
struct SliceKernel: Kernel {
    /// Attribute form (opset < 10): starts, ends, axes.
    let attributes: (starts: [Int], ends: [Int], axes: [Int]?)?
    let label: String

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        for i in 1..<inputs.count where inputs[i] != nil { _ = try expect(inputs[i], [.int64, .int32], "\(label) input \(i)") }
        return [try expect(inputs[0], [.float, .int64, .int32, .int8, .uint8, .bool], "\(label) data")]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let x = inputs[0]!
        let starts: [Int], ends: [Int], axesSpec: [Int]?, steps: [Int]?
        if let attributes {
            (starts, ends, axesSpec, steps) = (attributes.starts, attributes.ends, attributes.axes, nil)
        } else {
            starts = try inputs[1]!.ints(label)
            ends = try inputs[2]!.ints(label)
            axesSpec = inputs.count > 3 ? try inputs[3]?.ints(label) : nil
            steps = inputs.count > 4 ? try inputs[4]?.ints(label) : nil
        }
        let r = x.shape.count
        let axes = try (axesSpec ?? Array(0..<starts.count)).map { try normalizeAxis($0, rank: r, label) }
        guard starts.count == ends.count, axes.count == starts.count, steps == nil || steps!.count == starts.count,
              Set(axes).count == axes.count else {
            throw ONNXError.invalidInput("\(label): starts/ends/axes/steps lengths disagree")
        }
        let st = stridesOf(x.shape)
        var shape = x.shape, strides = st, base = 0
        for (k, a) in axes.enumerated() {
            let dim = x.shape[a]
            guard (steps?[k] ?? 1) != 0 else { throw ONNXError.invalidInput("\(label): step 0") }
            // A step longer than the axis picks one element either way; bounding it keeps the arithmetic in range.
            let step = min(max(steps?[k] ?? 1, -(dim + 1)), dim + 1)
            var s = starts[k], e = ends[k]
            if s < 0 { s += dim }
            if e < 0 { e += dim }
            if step > 0 {
                s = min(max(s, 0), dim); e = min(max(e, 0), dim)
            } else {
                s = min(max(s, 0), dim - 1); e = min(max(e, -1), dim - 1)
            }
            // Elements s, s + step, ... strictly before e (none when the range is empty).
            let length = step > 0 ? (e > s ? (e - s + step - 1) / step : 0) : (s > e ? (s - e - step - 1) / -step : 0)
            shape[a] = length
            strides[a] = st[a] * step
            if length > 0 { base += s * st[a] }
        }
        if shape.contains(0) { return [Value(shape: shape, data: try x.data.map(Pick(indices: [])))] }
        return [Value(shape: shape, data: try x.data.map(StridedPick(shape: shape, strides: strides, base: base)))]
    }
}

/// Shape (opset 15 start/end clamp like Python slicing) as INT64.
struct ShapeKernel: Kernel {
    let start: Int
    let end: Int?
    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        guard inputs[0] != nil else { throw ONNXError.malformed("Shape input missing") }
        return [.int64]
    }
    func run(_ inputs: [Value?]) throws -> [Value] {
        let s = inputs[0]!.shape
        let r = s.count
        func clamp(_ v: Int) -> Int { min(max(v < 0 ? v + r : v, 0), r) }
        let lo = clamp(start), hi = clamp(end ?? r)
        let dims = lo < hi ? s[lo..<hi].map { Int64($0) } : []
        return [Value(int64s: dims, shape: [dims.count])]
    }
}

/// Gather along `axis` with INT64/INT32 indices (negative counts from the end).
struct GatherKernel: Kernel {
    let axis: Int
    let label: String
    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        _ = try expect(inputs[1], [.int64, .int32], "\(label) indices")
        return [try expect(inputs[0], [.float, .int64, .int32, .int8, .uint8, .bool], "\(label) data")]
    }
    func run(_ inputs: [Value?]) throws -> [Value] {
        let x = inputs[0]!, idx = inputs[1]!
        let a = try normalizeAxis(axis, rank: x.shape.count, label)
        let dim = x.shape[a]
        let positions = try idx.ints(label).map { i -> Int in
            guard i >= -dim, i < dim else { throw ONNXError.invalidInput("\(label): index \(i) out of range for \(dim)") }
            return i < 0 ? i + dim : i
        }
        let shape = Array(x.shape[..<a]) + idx.shape + Array(x.shape[(a + 1)...])
        return [Value(shape: shape, data: try x.data.map(Pick(indices: axisPick(x.shape, axis: a, positions))))]
    }
}

/// Unsqueeze / Squeeze (axes from input 1 at opset 13+, else the attribute) and Flatten: shape-only changes.
struct AxesKernel: Kernel {
    enum Op: Sendable { case unsqueeze, squeeze, flatten }
    let op: Op
    let axesAttribute: [Int]?
    let flattenAxis: Int
    let label: String

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] {
        if inputs.count > 1, inputs[1] != nil { _ = try expect(inputs[1], [.int64], "\(label) axes") }
        return [try expect(inputs[0], [.float, .int64, .int32, .int8, .uint8, .bool], "\(label) data")]
    }

    func run(_ inputs: [Value?]) throws -> [Value] {
        let x = inputs[0]!
        let axesGiven = inputs.count > 1 ? try inputs[1]?.ints(label) : axesAttribute
        switch op {
        case .flatten:
            let r = x.shape.count
            let a = flattenAxis < 0 ? flattenAxis + r : flattenAxis
            guard a >= 0, a <= r else { throw ONNXError.invalidInput("\(label): axis \(flattenAxis) for rank \(r)") }
            return [x.reshaped([x.shape[..<a].reduce(1, *), x.shape[a...].reduce(1, *)])]
        case .unsqueeze:
            guard let axesGiven else { throw ONNXError.invalidInput("\(label): axes missing") }
            let r = x.shape.count + axesGiven.count
            let axes = try Set(axesGiven.map { try normalizeAxis($0, rank: r, label) })
            guard axes.count == axesGiven.count else { throw ONNXError.invalidInput("\(label): repeated axes") }
            var shape: [Int] = []
            var source = x.shape.makeIterator()
            for i in 0..<r { shape.append(axes.contains(i) ? 1 : source.next()!) }
            return [x.reshaped(shape)]
        case .squeeze:
            let r = x.shape.count
            let axes = try Set((axesGiven ?? x.shape.indices.filter { x.shape[$0] == 1 }).map {
                try normalizeAxis($0, rank: r, label)
            })
            for a in axes where x.shape[a] != 1 {
                throw ONNXError.invalidInput("\(label): axis \(a) of \(x.shape) is not 1")
            }
            return [x.reshaped(x.shape.indices.filter { !axes.contains($0) }.map { x.shape[$0] })]
        }
    }
}
