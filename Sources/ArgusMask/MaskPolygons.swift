/// One connected part of a mask: its outer ring and the rings of its holes.
///
/// Rings are flat `[x0, y0, x1, y1, ...]` (COCO polygon convention) in pixel-edge coordinates:
/// vertices lie on pixel corners, so pixel `(x, y)` is the unit square `[x, x+1] x [y, y+1]`.
/// In image coordinates (y pointing down) the exterior runs clockwise on screen, i.e. its shoelace
/// sum `Σ x_i*y_(i+1) - x_(i+1)*y_i` is positive; holes run the other way (negative). The first
/// vertex is not repeated at the end.
public struct MaskPolygon: Sendable, Equatable {
    /// Outer ring, flat `[x, y, ...]`.
    public var exterior: [Double]
    /// Rings of the holes of this part, flat `[x, y, ...]` each.
    public var holes: [[Double]]

    /// Creates a part from its rings.
    public init(exterior: [Double], holes: [[Double]] = []) {
        self.exterior = exterior
        self.holes = holes
    }
}

/// Mask -> polygons with holes, losslessly: `RLE(polygons:height:width:)` on the result gives the mask back.
public enum MaskPolygons {
    /// Traces every 8-connected part of `mask` (holes are then 4-connected background regions)
    /// along pixel edges, with collinear runs collapsed to their end points.
    ///
    /// Parts come in raster order of their top-left pixel, holes likewise. With pycocotools'
    /// rasteriser (pixel centres at `x + 0.5`) pixel-edge rings reproduce the mask exactly.
    public static func trace(_ mask: RLE) -> [MaskPolygon] {
        guard mask.height > 0, mask.width > 0, mask.counts.count > 1 else { return [] }
        // Clamped to the image: runs of a malformed RLE may reach past its last pixel.
        let box = mask.boundingBox
        let x0 = min(Int(box.x), mask.width), y0 = min(Int(box.y), mask.height)
        let x1 = min(Int(box.x + box.width), mask.width), y1 = min(Int(box.y + box.height), mask.height)
        guard x1 > x0, y1 > y0 else { return [] }
        let grid = PaddedBitmap(mask: mask, x0: x0, y0: y0, width: x1 - x0, height: y1 - y0)
        return grid.tracePolygons()
    }
}

/// The mask's bounding box as a row-major 0/1 bitmap with a one-pixel empty border, plus tracing state.
private struct PaddedBitmap {
    let x0: Int, y0: Int   // image coordinates of padded pixel (1, 1)
    let w: Int, h: Int     // padded size
    var bits: [UInt8]

    init(mask: RLE, x0: Int, y0: Int, width: Int, height: Int) {
        self.x0 = x0; self.y0 = y0
        w = width + 2; h = height + 2
        bits = [UInt8](repeating: 0, count: w * h)
        let mh = mask.height
        var start = 0
        var j = 0
        let counts = mask.counts
        let total = mask.pixelCount
        while j < counts.count && start < total {
            let c = Int(counts[j])
            if j & 1 == 1 {
                var i = start
                let end = min(start + c, total)
                while i < end {
                    let x = i / mh, y = i - x * mh
                    let n = min(end - i, mh - y)   // pixels left in this column
                    var p = (y - y0 + 1) * w + (x - x0 + 1)
                    for _ in 0..<n { bits[p] = 1; p += w }
                    i += n
                }
            }
            start += c
            j += 1
        }
    }

    /// Directions as (dx, dy) on the corner lattice: east, south, west, north (clockwise on screen).
    private static let dx = [1, 0, -1, 0]
    private static let dy = [0, 1, 0, -1]

    /// Labels 8-connected foreground components (union-find over the raster scan; -1 = background).
    private func componentLabels() -> [Int32] {
        var labels = [Int32](repeating: -1, count: w * h)
        var parent = [Int32]()
        func find(_ a: Int32) -> Int32 {
            var r = a
            while parent[Int(r)] != r { r = parent[Int(r)] }
            var c = a
            while parent[Int(c)] != r { let n = parent[Int(c)]; parent[Int(c)] = r; c = n }
            return r
        }
        let w = self.w
        bits.withUnsafeBufferPointer { bits in
            labels.withUnsafeMutableBufferPointer { labels in
                for y in 1..<(h - 1) {
                    for x in 1..<(w - 1) where bits[y * w + x] != 0 {
                        let p = y * w + x
                        var label: Int32 = -1
                        // Neighbours already scanned: west, north-west, north, north-east.
                        for k in 0..<4 {
                            let q = k == 0 ? p - 1 : p - w - 2 + k
                            guard labels[q] >= 0 else { continue }
                            let r = find(labels[q])
                            if label < 0 { label = r } else if r != label {
                                let a = min(r, label), b = max(r, label)
                                parent[Int(b)] = a
                                label = a
                            }
                        }
                        if label < 0 { label = Int32(parent.count); parent.append(label) }
                        labels[p] = label
                    }
                }
                for p in 0..<labels.count where labels[p] >= 0 { labels[p] = find(labels[p]) }
            }
        }
        return labels
    }

    /// Walks every boundary loop, starting each at an unvisited east-going (top) edge in raster order.
    /// Exteriors and holes are told apart by the sign of their area; holes are given to the part
    /// that owns the pixel below their start edge (labels are only computed when a hole exists).
    func tracePolygons() -> [MaskPolygon] {
        var topVisited = [Bool](repeating: false, count: w * h)
        var parts = [MaskPolygon]()
        var partStarts = [Int]()
        var holes = [(Int, [Double])]()
        for y in 1..<(h - 1) {
            for x in 1..<(w - 1) {
                let p = y * w + x
                guard bits[p] != 0, bits[p - w] == 0, !topVisited[p] else { continue }
                let (ring, area2) = walk(fromX: x, y: y, topVisited: &topVisited)
                if area2 > 0 {
                    parts.append(MaskPolygon(exterior: ring))
                    partStarts.append(p)
                } else {
                    holes.append((p, ring))
                }
            }
        }
        guard !holes.isEmpty else { return parts }
        let labels = componentLabels()
        var partOfLabel = [Int32: Int]()
        for (i, p) in partStarts.enumerated() { partOfLabel[labels[p]] = i }
        for (p, ring) in holes { if let i = partOfLabel[labels[p]] { parts[i].holes.append(ring) } }
        return parts
    }

    /// Follows one loop with the foreground on the right; at a diagonal (saddle) corner it turns
    /// left, which joins diagonal neighbours into one part (8-connectivity). Returns the corner
    /// vertices in image coordinates and twice the signed area.
    private func walk(fromX sx: Int, y sy: Int, topVisited: inout [Bool]) -> ([Double], Int) {
        var ring = [Double]()
        var x = sx, y = sy, d = 0
        var area2 = 0
        let ox = Double(x0 - 1), oy = Double(y0 - 1)
        while true {
            // Move one edge in direction d.
            if d == 0 { topVisited[y * w + x] = true }
            let nx = x + PaddedBitmap.dx[d], ny = y + PaddedBitmap.dy[d]
            area2 += x * ny - nx * y
            x = nx; y = ny
            // Pixels ahead-left and ahead-right of the corner (x, y) when heading d.
            let (lx, ly, rx, ry): (Int, Int, Int, Int)
            switch d {
            case 0: (lx, ly, rx, ry) = (x, y - 1, x, y)
            case 1: (lx, ly, rx, ry) = (x, y, x - 1, y)
            case 2: (lx, ly, rx, ry) = (x - 1, y, x - 1, y - 1)
            default: (lx, ly, rx, ry) = (x - 1, y - 1, x, y - 1)
            }
            let nd: Int
            if bits[ly * w + lx] != 0 { nd = (d + 3) & 3 } else if bits[ry * w + rx] != 0 { nd = d } else { nd = (d + 1) & 3 }
            if x == sx && y == sy && nd == 0 {
                if d != 0 { ring.insert(contentsOf: [Double(sx) + ox, Double(sy) + oy], at: 0) }
                break
            }
            if nd != d { ring.append(Double(x) + ox); ring.append(Double(y) + oy) }
            d = nd
        }
        return (ring, area2)
    }
}
