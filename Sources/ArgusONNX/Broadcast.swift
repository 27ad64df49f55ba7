/// Numpy-style (multidirectional) broadcasting for the elementwise binary ops.

/// The broadcast shape of two shapes, or an error naming the op.
func broadcastShape(_ a: [Int], _ b: [Int], _ label: String) throws -> [Int] {
    let r = max(a.count, b.count)
    var out = [Int](repeating: 1, count: r)
    for i in 0..<r {
        let da = i < r - a.count ? 1 : a[i - (r - a.count)]
        let db = i < r - b.count ? 1 : b[i - (r - b.count)]
        guard da == db || da == 1 || db == 1 else {
            throw ONNXError.invalidInput("\(label): shapes \(a) and \(b) do not broadcast")
        }
        out[i] = da == 1 ? db : da
    }
    return out
}

/// Output shape split into runs of axes that broadcast the same way, with each operand's strides
/// over those runs (0 where it repeats): the element loop then walks few, long axes.
private struct BroadcastPlan {
    var dims: [Int] = []
    var strideA: [Int] = []
    var strideB: [Int] = []

    init(_ a: [Int], _ b: [Int], out: [Int]) {
        let r = out.count
        func dim(_ s: [Int], _ i: Int) -> Int { i < r - s.count ? 1 : s[i - (r - s.count)] }
        var flags: [(Bool, Bool)] = []  // (a varies, b varies) per merged axis
        for i in 0..<r where out[i] != 1 {
            let f = (dim(a, i) != 1, dim(b, i) != 1)
            if let last = flags.last, last == f {
                dims[dims.count - 1] *= out[i]
            } else {
                flags.append(f)
                dims.append(out[i])
            }
        }
        // Row-major strides of each operand over the merged axes.
        var sa = 1, sb = 1
        strideA = [Int](repeating: 0, count: dims.count)
        strideB = strideA
        for i in stride(from: dims.count - 1, through: 0, by: -1) {
            if flags[i].0 { strideA[i] = sa; sa *= dims[i] }
            if flags[i].1 { strideB[i] = sb; sb *= dims[i] }
        }
    }
}

/// out[i] = f(a[ia], b[ib]) under broadcasting; `outShape` from `broadcastShape`.
@inline(__always)
func broadcastApply<T, U>(_ a: [T], _ aShape: [Int], _ b: [T], _ bShape: [Int], outShape: [Int],
                          _ f: (T, T) -> U) -> [U] {
    let count = outShape.reduce(1, *)
    if aShape == bShape { return (0..<count).map { f(a[$0], b[$0]) } }
    if b.count == 1 { let s = b[0]; return a.map { f($0, s) } }
    if a.count == 1 { let s = a[0]; return b.map { f(s, $0) } }
    let plan = BroadcastPlan(aShape, bShape, out: outShape)
    let rank = plan.dims.count
    return [U](unsafeUninitializedCapacity: count) { out, initialized in
        guard count > 0 else { initialized = 0; return }
        let inner = plan.dims[rank - 1], sa = plan.strideA[rank - 1], sb = plan.strideB[rank - 1]
        var index = [Int](repeating: 0, count: rank)
        var ia = 0, ib = 0, o = 0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                while o < count {
                    var x = ia, y = ib
                    for _ in 0..<inner {
                        (out.baseAddress! + o).initialize(to: f(pa[x], pb[y]))
                        o += 1; x += sa; y += sb
                    }
                    // Advance the outer index (odometer), updating the operand offsets.
                    var axis = rank - 2
                    while axis >= 0 {
                        index[axis] += 1
                        ia += plan.strideA[axis]; ib += plan.strideB[axis]
                        if index[axis] < plan.dims[axis] { break }
                        ia -= plan.strideA[axis] * plan.dims[axis]; ib -= plan.strideB[axis] * plan.dims[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
        initialized = count
    }
}
