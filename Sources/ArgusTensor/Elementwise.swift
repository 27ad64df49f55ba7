/// How `b` lines up with `a` in a binary op: the same shape, or one value per (n, c) of an NCHW `a`
/// (b is [N, C, 1, 1] or [1, C, 1, 1], the squeeze-excitation scale).
private enum Broadcast {
    case same
    case perChannel(batchShared: Bool, channels: Int, plane: Int)

    init(_ a: Tensor, _ b: Tensor, op: String) throws {
        if a.shape == b.shape { self = .same; return }
        if a.rank == 4, b.rank == 4, b.shape[1] == a.shape[1], b.shape[2] == 1, b.shape[3] == 1,
           b.shape[0] == a.shape[0] || b.shape[0] == 1 {
            self = .perChannel(batchShared: b.shape[0] == 1 && a.shape[0] != 1, channels: a.shape[1],
                               plane: a.shape[2] * a.shape[3])
            return
        }
        throw TensorError.invalidShape(op: op, message: "cannot broadcast \(b.shape) to \(a.shape)")
    }
}

/// The element operation of a binary op, as a type so `binary` is specialized per op and its loops vectorize.
private protocol BinaryOperation { static func apply(_ a: Float, _ b: Float) -> Float }
private enum Addition: BinaryOperation { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
private enum Multiplication: BinaryOperation { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b } }

/// `activation` (if any) is applied to each run of results while it is in cache: one pass instead of two.
private func binary<Op: BinaryOperation>(_ a: Tensor, _ b: Tensor, op: String, _: Op.Type,
                                         activation: Activation? = nil) throws -> Tensor {
    let mode = try Broadcast(a, b, op: op)
    if a.count == 0 { return a }
    let workers = workerCount(elements: a.count, available: EngineThreads.current)
    return Tensor.uninitialized(shape: a.shape) { out in
        a.storage.withUnsafeBufferPointer { ap in
            b.storage.withUnsafeBufferPointer { bp in
                let o = out.baseAddress!, ap = ap.baseAddress!, bp = bp.baseAddress!
                switch mode {
                case .same:
                    parallelRanges(a.count, workers: workers) { r in
                        guard let activation else {
                            for i in r { o[i] = Op.apply(ap[i], bp[i]) }
                            return
                        }
                        for start in stride(from: r.lowerBound, to: r.upperBound, by: 4096) {
                            let end = min(r.upperBound, start + 4096)
                            for i in start..<end { o[i] = Op.apply(ap[i], bp[i]) }
                            activation.apply(o + start, count: end - start)
                        }
                    }
                case let .perChannel(batchShared, channels, plane):
                    parallelRanges(a.count / max(1, plane), workers: workers) { planes in
                        for p in planes {
                            let s = bp[batchShared ? p % channels : p]
                            for i in (p * plane)..<((p + 1) * plane) { o[i] = Op.apply(ap[i], s) }
                            activation?.apply(o + p * plane, count: plane)
                        }
                    }
                }
            }
        }
    }
}

/// a + b (same shape, or b per channel: [N|1, C, 1, 1]).
public func add(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary(a, b, op: "add", Addition.self) }

/// activation(a + b) in one pass (a residual connection and its ReLU): the same values as
/// `activate(add(a, b), activation)`.
public func add(_ a: Tensor, _ b: Tensor, activation: Activation?) throws -> Tensor {
    try binary(a, b, op: "add", Addition.self, activation: activation)
}

/// a * b (same shape, or b per channel: [N|1, C, 1, 1], e.g. squeeze-excitation `x * s`).
public func mul(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary(a, b, op: "mul", Multiplication.self) }

extension Tensor {
    /// self += other (same shape, or other per channel: [N|1, C, 1, 1]).
    public mutating func add(_ other: Tensor) throws { self = try ArgusTensor.add(self, other) }
    /// self *= other (same shape, or other per channel: [N|1, C, 1, 1]).
    public mutating func multiply(by other: Tensor) throws { self = try ArgusTensor.mul(self, other) }
}
