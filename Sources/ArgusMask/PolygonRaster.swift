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

extension RLE {
    /// Most boundary points (5 per pixel of perimeter) a polygon may have: 50,000,000.
    public static let maxPolygonBoundaryPoints = 50_000_000

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
        // Dense boundary points on the upsampled grid.
        var m = 0
        for j in 0..<k { m += max(abs(x[j] - x[j + 1]), abs(y[j] - y[j + 1])) + 1 }
        // The boundary walk allocates one point per upsampled step; refuse absurd perimeters instead of exhausting memory.
        guard m <= RLE.maxPolygonBoundaryPoints else {
            throw MaskError.badPolygon("perimeter of \(m / 5) pixels is beyond the limit of \(RLE.maxPolygonBoundaryPoints / 5)")
        }
        var u = [Int](), v = [Int]()
        u.reserveCapacity(m); v.reserveCapacity(m)
        for j in 0..<k {
            var xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1]
            let dx = abs(xe - xs), dy = abs(ys - ye)
            let flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye)
            if flip { swap(&xs, &xe); swap(&ys, &ye) }
            let s = dx >= dy ? Double(ye - ys) / Double(dx) : Double(xe - xs) / Double(dy)
            if dx >= dy {
                for d in 0...dx {
                    let t = flip ? dx - d : d
                    u.append(t + xs)
                    v.append(cInt32(Double(ys) + s * Double(t) + 0.5))
                }
            } else {
                for d in 0...dy {
                    let t = flip ? dy - d : d
                    v.append(t + ys)
                    u.append(cInt32(Double(xs) + s * Double(t) + 0.5))
                }
            }
        }
        // Points where the boundary crosses a column centre, downsampled to pixel rows.
        var a = [UInt32]()
        let n = u.count
        if n > 1 {
            for j in 1..<n where u[j] != u[j - 1] {
                var xd = Double(u[j] < u[j - 1] ? u[j] : u[j] - 1)
                xd = (xd + 0.5) / scale - 0.5
                if xd.rounded(.down) != xd || xd < 0 || xd > Double(w - 1) { continue }
                var yd = Double(v[j] < v[j - 1] ? v[j] : v[j - 1])
                yd = (yd + 0.5) / scale - 0.5
                if yd < 0 { yd = 0 } else if yd > Double(h) { yd = Double(h) }
                yd = yd.rounded(.up)
                a.append(UInt32(truncatingIfNeeded: Int(xd) * h + Int(yd)))
            }
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
