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

private func binary(_ a: Tensor, _ b: Tensor, op: String, _ f: (Float, Float) -> Float) throws -> Tensor {
    let mode = try Broadcast(a, b, op: op)
    var out = a
    out.storage.withUnsafeMutableBufferPointer { o in
        b.storage.withUnsafeBufferPointer { bp in
            switch mode {
            case .same:
                for i in 0..<o.count { o[i] = f(o[i], bp[i]) }
            case let .perChannel(batchShared, channels, plane):
                for p in 0..<(o.count / max(1, plane)) {
                    let s = bp[batchShared ? p % channels : p]
                    let base = p * plane
                    for i in base..<(base + plane) { o[i] = f(o[i], s) }
                }
            }
        }
    }
    return out
}

/// a + b (same shape, or b per channel: [N|1, C, 1, 1]).
public func add(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary(a, b, op: "add", +) }

/// a * b (same shape, or b per channel: [N|1, C, 1, 1], e.g. squeeze-excitation `x * s`).
public func mul(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary(a, b, op: "mul", *) }

extension Tensor {
    /// self += other (same shape, or other per channel: [N|1, C, 1, 1]).
    public mutating func add(_ other: Tensor) throws { self = try ArgusTensor.add(self, other) }
    /// self *= other (same shape, or other per channel: [N|1, C, 1, 1]).
    public mutating func multiply(by other: Tensor) throws { self = try ArgusTensor.mul(self, other) }
}
