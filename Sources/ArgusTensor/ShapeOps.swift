/// torch.cat: joins tensors that agree on every axis but `axis` (negative axes count from the end).
public func concat(_ tensors: [Tensor], axis: Int) throws -> Tensor {
    guard let first = tensors.first else {
        throw TensorError.invalidArgument(op: "concat", message: "needs at least one tensor")
    }
    let a = try first.normalizedAxis(axis, "concat")
    for t in tensors where t.rank != first.rank
        || t.shape.enumerated().contains(where: { $0.offset != a && $0.element != first.shape[$0.offset] }) {
        throw TensorError.invalidShape(op: "concat", message:
            "shapes \(tensors.map(\.shape)) differ outside axis \(axis)")
    }
    var shape = first.shape
    shape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
    let (outer, _, inner) = first.splitShape(at: a)
    let rowLength = shape[a] * inner
    // The output is the tensors' blocks back to back, (outer 0: t0, t1, ...), (outer 1: ...):
    // workers copy contiguous ranges of it, each walking the blocks its range overlaps.
    let blocks = tensors.map { $0.shape[a] * inner }
    let total = outer * rowLength
    return Tensor.uninitialized(shape: shape) { out in
        guard total > 0 else { return }
        withStoragePointers(tensors) { sources in
            parallelRanges(total, workers: workerCount(elements: total, available: EngineThreads.current)) { range in
                var position = (range.lowerBound / rowLength) * rowLength  // start of the first outer row
                var o = range.lowerBound / rowLength, t = 0
                while position < range.upperBound {
                    let block = blocks[t]
                    let lo = max(position, range.lowerBound), hi = min(position + block, range.upperBound)
                    if lo < hi {
                        (out.baseAddress! + lo).update(from: sources[t] + o * block + (lo - position), count: hi - lo)
                    }
                    position += block
                    t += 1
                    if t == blocks.count { t = 0; o += 1 }
                }
            }
        }
    }
}

/// Calls `body` with pointers to every tensor's storage (valid only inside `body`).
func withStoragePointers<R>(_ tensors: [Tensor], _ body: ([UnsafePointer<Float>]) -> R) -> R {
    func nest(_ i: Int, _ acc: [UnsafePointer<Float>]) -> R {
        if i == tensors.count { return body(acc) }
        return tensors[i].storage.withUnsafeBufferPointer { p in
            // An empty tensor contributes no elements; any non-nil pointer stands in for it.
            nest(i + 1, acc + [p.baseAddress ?? UnsafePointer(bitPattern: 8)!])
        }
    }
    return nest(0, [])
}

/// x[..., range, ...] along `axis` (a copy), like torch narrow/slicing with step 1.
public func slice(_ x: Tensor, axis: Int, _ range: Range<Int>) throws -> Tensor {
    let a = try x.normalizedAxis(axis, "slice")
    guard range.lowerBound >= 0, range.upperBound <= x.shape[a] else {
        throw TensorError.invalidArgument(op: "slice", message: "range \(range) outside 0..<\(x.shape[a]) of axis \(axis)")
    }
    let (outer, length, inner) = x.splitShape(at: a)
    var shape = x.shape
    shape[a] = range.count
    let block = range.count * inner
    return Tensor.uninitialized(shape: shape) { out in
        x.storage.withUnsafeBufferPointer { src in
            for o in 0..<outer where block > 0 {
                (out.baseAddress! + o * block).update(
                    from: src.baseAddress! + (o * length + range.lowerBound) * inner, count: block)
            }
        }
    }
}

/// torch.split with explicit sizes: consecutive pieces along `axis` whose sizes must add up to its length.
public func split(_ x: Tensor, sizes: [Int], axis: Int) throws -> [Tensor] {
    let a = try x.normalizedAxis(axis, "split")
    guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == x.shape[a] else {
        throw TensorError.invalidArgument(op: "split", message: "sizes \(sizes) do not add up to \(x.shape[a])")
    }
    var start = 0
    return try sizes.map { size in
        defer { start += size }
        return try slice(x, axis: a, start..<(start + size))
    }
}

/// torch.chunk: pieces of ceil(length / chunks) along `axis`, the last one smaller (so there may be fewer than `chunks`).
public func chunk(_ x: Tensor, _ chunks: Int, axis: Int) throws -> [Tensor] {
    let a = try x.normalizedAxis(axis, "chunk")
    guard chunks >= 1 else {
        throw TensorError.invalidArgument(op: "chunk", message: "chunks must be >= 1, got \(chunks)")
    }
    let length = x.shape[a]
    let step = max(1, (length + chunks - 1) / chunks)
    if length == 0 { return [x] }
    return try stride(from: 0, to: length, by: step).map { try slice(x, axis: a, $0..<min(length, $0 + step)) }
}
