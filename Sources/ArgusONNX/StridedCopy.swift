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
            } else if step == 2 && T.self == Float.self {
                Self.evenLanes(UnsafeRawPointer(s + offset), UnsafeMutableRawPointer(o + written), count: inner)
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

    /// `count` floats from every other float at `src` (a stride-2 Slice, YOLOX's Focus): eight per step from a
    /// 16-float load while the next output's source (16 floats on) is still to come, so no load passes the last
    /// float read; then one at a time.
    private static func evenLanes(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, count: Int) {
        var k = 0
        while k + 8 < count {
            let v = src.loadUnaligned(fromByteOffset: 8 * k, as: SIMD16<Float>.self)
            dst.storeBytes(of: v.evenHalf, toByteOffset: 4 * k, as: SIMD8<Float>.self)
            k += 8
        }
        while k < count {
            dst.storeBytes(of: src.load(fromByteOffset: 8 * k, as: Float.self), toByteOffset: 4 * k, as: Float.self)
            k += 1
        }
    }
}
