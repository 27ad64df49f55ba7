extension Tensor {
    /// A tensor whose storage is filled by `body` without a zero-fill first (every element must be written).
    @inlinable
    static func uninitialized(shape: [Int],
                              _ body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows -> Tensor {
        let count = shape.reduce(1, *)
        let storage = try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try body(buffer)
            initialized = count
        }
        return Tensor(shape: shape, storage: storage)
    }

    /// The (N, C, H, W) sizes of a non-empty rank-4 tensor, or an error naming `op`.
    func nchw(_ op: String) throws -> (n: Int, c: Int, h: Int, w: Int) {
        guard rank == 4, shape.allSatisfy({ $0 >= 1 }) else {
            throw TensorError.invalidShape(op: op, message: "expected a non-empty NCHW tensor, got shape \(shape)")
        }
        return (shape[0], shape[1], shape[2], shape[3])
    }

    /// Splits the shape around `axis` into (outer, axis length, inner) element counts.
    func splitShape(at axis: Int) -> (outer: Int, length: Int, inner: Int) {
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        return (outer, shape[axis], inner)
    }

    /// `axis` with negative values counted from the end (torch style), validated against the rank.
    func normalizedAxis(_ axis: Int, _ op: String) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0 && a < rank else {
            throw TensorError.invalidArgument(op: op, message: "axis \(axis) out of range for shape \(shape)")
        }
        return a
    }
}
