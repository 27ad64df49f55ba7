import ArgusTensor

/// A strided gather: out (row-major over `shape`) takes src[base + sum_k index_k * strides[k]].
/// Slice, Split and Transpose are all this with different strides; the innermost axis is a tight
/// loop (a block copy when its stride is 1). Large outputs are split by rows over the engine's workers.
struct StridedPick: ElementMap {
    let shape: [Int]
    let strides: [Int]
    let base: Int

    func callAsFunction<T>(_ v: [T]) throws -> [T] {
        let count = shape.reduce(1, *)
        let r = shape.count
        return [T](unsafeUninitializedCapacity: count) { out, initialized in
            defer { initialized = count }
            guard count > 0 else { return }
            v.withUnsafeBufferPointer { src in
                let s = src.baseAddress!, o = out.baseAddress!
                guard r > 0 else { (o).initialize(to: s[base]); return }
                let inner = shape[r - 1]
                parallelSlices(count / inner, minimumPerWorker: max(1, (1 << 16) / inner)) { rows in
                    copyRows(rows, from: s, to: o)
                }
            }
        }
    }

    /// Output rows `rows` (runs of the innermost axis): the first one's source offset from its index, then
    /// odometer steps.
    private func copyRows<T>(_ rows: Range<Int>, from s: UnsafePointer<T>, to o: UnsafeMutablePointer<T>) {
        let r = shape.count, inner = shape[r - 1], step = strides[r - 1]
        var index = [Int](repeating: 0, count: r)
        var offset = base, rest = rows.lowerBound
        for axis in stride(from: r - 2, through: 0, by: -1) {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
            offset += index[axis] * strides[axis]
        }
        var written = rows.lowerBound * inner
        for _ in rows {
            if step == 1 {
                (o + written).initialize(from: s + offset, count: inner)
            } else {
                var at = offset
                for k in 0..<inner { (o + written + k).initialize(to: s[at]); at += step }
            }
            written += inner
            var axis = r - 2
            while axis >= 0 {
                index[axis] += 1
                offset += strides[axis]
                if index[axis] < shape[axis] { break }
                offset -= strides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
