import Foundation

// Port of the semantics of pycocotools' `rleFrPoly`: the polygon is upsampled 5x onto an
// integer grid, its edges are walked Bresenham-style, and the points where the boundary
// crosses a pixel column centre become run boundaries in the column-major RLE.

/// C's `(int)` conversion on x86-64: truncation toward zero, and INT_MIN for NaN or out-of-range
/// values (what `cvttsd2si` gives), so degenerate input behaves as pycocotools does instead of trapping.
@usableFromInline
func cInt32(_ d: Double) -> Int {
    if d.isNaN || d >= 2147483648.0 || d <= -2147483649.0 { return Int(Int32.min) }
    return Int(Int32(d.rounded(.towardZero)))
}

/// One edge of a polygon on pycocotools' 5x upsampled grid, walked as `rleFrPoly` walks it: points `0...length`
/// from one vertex to the next, one grid step at a time along the longer axis, the other coordinate rounded.
struct UpsampledEdge {
    let xs: Int, ys: Int, dx: Int, dy: Int, flip: Bool, slope: Double

    init(from x0: Int, _ y0: Int, to x1: Int, _ y1: Int) {
        var xs = x0, xe = x1, ys = y0, ye = y1
        dx = abs(xe - xs); dy = abs(ys - ye)
        flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye)
        if flip { swap(&xs, &xe); swap(&ys, &ye) }
        slope = dx >= dy ? Double(ye - ys) / Double(dx) : Double(xe - xs) / Double(dy)
        self.xs = xs; self.ys = ys
    }

    var length: Int { max(dx, dy) }

    /// Point `d` of the walk, in walking order (a flipped edge is computed from its other end, as in pycocotools).
    func point(_ d: Int) -> (u: Int, v: Int) {
        let t = flip ? length - d : d
        if dx >= dy { return (t + xs, cInt32(Double(ys) + slope * Double(t) + 0.5)) }
        return (cInt32(Double(xs) + slope * Double(t) + 0.5), t + ys)
    }

    /// Calls `body` with the points before and after every step (`d - 1` to `d`) whose new column lies in
    /// `columns` and differs from the old. The column is monotonic along an edge, so steps outside are skipped:
    /// an edge running far outside the image costs a few probes, not one point per upsampled pixel.
    func columnSteps(in columns: ClosedRange<Int>, _ body: ((u: Int, v: Int), (u: Int, v: Int)) -> Void) {
        let n = length
        guard n > 0 else { return }
        if dx >= dy {
            // Walking along x: the column moves by one every step, so the kept steps are one range of d.
            let steps = flip ? (xs + n - columns.upperBound)...(xs + n - columns.lowerBound)
                             : (columns.lowerBound - xs)...(columns.upperBound - xs)
            let first = max(steps.lowerBound, 1), last = min(steps.upperBound, n)
            guard first <= last else { return }
            var p = point(first - 1)
            for d in first...last {
                let q = point(d)
                body(p, q)
                p = q
            }
            return
        }
        // Walking along y: the column changes every 1/|slope| steps; each change is found by galloping ahead.
        func column(_ d: Int) -> Int { cInt32(Double(xs) + slope * Double(flip ? n - d : d) + 0.5) }
        let rising = column(n) > column(0)
        guard rising || column(n) < column(0) else { return }
        // The column as a non-decreasing key, so one search serves both directions.
        func key(_ d: Int) -> Int { rising ? column(d) : -column(d) }
        let low = rising ? columns.lowerBound : -columns.upperBound
        let high = rising ? columns.upperBound : -columns.lowerBound
        /// The first step from `start` whose key exceeds `bound` (n + 1 if none): probes 1, 2, 4, ... steps ahead,
        /// then bisects the last gap.
        func firstAbove(_ bound: Int, from start: Int) -> Int {
            var lo = start, span = 1
            while lo <= n && key(lo) <= bound {
                let probe = lo + span
                if probe > n || key(probe) > bound {
                    var hi = min(probe, n + 1)
                    lo += 1
                    while lo < hi {
                        let mid = lo + (hi - lo) / 2
                        if key(mid) > bound { hi = mid } else { lo = mid + 1 }
                    }
                    return lo
                }
                lo = probe + 1; span *= 2
            }
            return lo
        }
        var d = firstAbove(low - 1, from: 0)
        while d <= n {
            let kd = key(d)
            guard kd <= high else { break }
            if d > 0 { body(point(d - 1), point(d)) }  // every step firstAbove returns has a new column
            d = firstAbove(kd, from: d + 1)
        }
    }
}

extension RLE {
    /// Rasterises one polygon `[x0, y0, x1, y1, ...]` exactly as pycocotools `frPoly` / `rleFrPoly`.
    public init(polygon xy: [Double], height h: Int, width w: Int) throws {
        let (pixels, overflow) = h.multipliedReportingOverflow(by: w)
        guard h >= 1, w >= 1, !overflow, pixels <= Int(UInt32.max) else { throw MaskError.badSize(height: h, width: w) }
        let k = xy.count / 2
        guard k >= 1 else { throw MaskError.badPolygon("a polygon needs at least one x,y pair, got \(xy.count) numbers") }
        for v in xy where !v.isFinite || abs(v) > 1e8 {
            throw MaskError.badPolygon("coordinate \(v) is not a finite number within ±1e8")
        }
        let scale = 5.0
        var x = [Int](repeating: 0, count: k + 1), y = [Int](repeating: 0, count: k + 1)
        for j in 0..<k {
            x[j] = cInt32(scale * xy[2 * j] + 0.5)
            y[j] = cInt32(scale * xy[2 * j + 1] + 0.5)
        }
        x[k] = x[0]; y[k] = y[0]
        // pycocotools lists every boundary point of the upsampled polygon, then keeps the steps between two points
        // where the boundary crosses a pixel column's centre (upsampled column 5c + 2 for pixel column c) inside
        // the image, downsampled to a row. Only those steps are visited here: the rest cannot give a crossing.
        var a = [UInt32]()
        func cross(_ p: (u: Int, v: Int), _ q: (u: Int, v: Int)) {
            guard q.u != p.u else { return }
            var xd = Double(q.u < p.u ? q.u : q.u - 1)
            xd = (xd + 0.5) / scale - 0.5
            if xd.rounded(.down) != xd || xd < 0 || xd > Double(w - 1) { return }
            var yd = Double(q.v < p.v ? q.v : p.v)
            yd = (yd + 0.5) / scale - 0.5
            if yd < 0 { yd = 0 } else if yd > Double(h) { yd = Double(h) }
            yd = yd.rounded(.up)
            a.append(UInt32(truncatingIfNeeded: Int(xd) * h + Int(yd)))
        }
        // A step from column p to q tests column min(p, q) (q - 1 when rising); kept columns are 2...5w - 3, so a
        // step can only count when its new column is within 2...5w - 2.
        let columns = 2...(5 * w - 2)
        var previousEnd: (u: Int, v: Int)?
        for j in 0..<k {
            let edge = UpsampledEdge(from: x[j], y[j], to: x[j + 1], y[j + 1])
            // The step from the previous edge's last point to this edge's first point.
            if let p = previousEnd { cross(p, edge.point(0)) }
            edge.columnSteps(in: columns, cross)
            previousEnd = edge.point(edge.length)
        }
        a.append(UInt32(h * w))
        a.sort()
        var prev: UInt32 = 0
        for j in 0..<a.count { let t = a[j]; a[j] = t &- prev; prev = t }
        // Zero differences mean two crossings at the same pixel: they cancel and the runs join.
        var b = [UInt32]()
        b.reserveCapacity(a.count)
        var j = 0
        b.append(a[j]); j += 1
        while j < a.count {
            if a[j] > 0 { b.append(a[j]); j += 1 } else {
                j += 1
                if j < a.count { b[b.count - 1] &+= a[j]; j += 1 }
            }
        }
        self.init(height: h, width: w, counts: b)
    }

    /// Rasterises a COCO polygon list as `COCO.annToRLE` does: each polygon with `frPyObjects`, then their union.
    /// A list whose first polygon has exactly 4 numbers is rejected, because pycocotools would read it as boxes.
    public init(polygons: [[Double]], height: Int, width: Int) throws {
        guard let first = polygons.first else { throw MaskError.badPolygon("empty polygon list") }
        guard first.count != 4 else {
            throw MaskError.badPolygon("the first polygon has only 2 vertices (4 numbers); pycocotools would read the list as boxes")
        }
        guard first.count > 4 else { throw MaskError.badPolygon("a polygon needs at least 3 vertices, got \(first.count) numbers") }
        let parts = try polygons.map { try RLE(polygon: $0, height: height, width: width) }
        self = RLE.merge(parts)
    }
}
