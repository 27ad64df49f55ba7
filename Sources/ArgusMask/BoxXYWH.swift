/// An axis-aligned box as COCO writes it: top-left corner and size, in continuous pixel coordinates.
public struct BoxXYWH: Equatable, Sendable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    /// Creates a box from its corner and size.
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    /// `width * height`, the area pycocotools gives a bbox result.
    public var area: Double { width * height }

    /// The box as `[x, y, w, h]`.
    public var array: [Double] { [x, y, width, height] }
}

/// IoU of two boxes exactly as pycocotools' `bbIou` computes it (in double precision).
/// With `crowd`, the union is the detection's area (intersection over detection).
@inlinable
public func boxIoU(_ d: BoxXYWH, _ g: BoxXYWH, crowd: Bool) -> Double {
    let w = min(d.width + d.x, g.width + g.x) - max(d.x, g.x)
    if w <= 0 { return 0 }
    let h = min(d.height + d.y, g.height + g.y) - max(d.y, g.y)
    if h <= 0 { return 0 }
    let i = w * h
    let da = d.width * d.height
    let u = crowd ? da : da + g.width * g.height - i
    return i / u
}

extension RLE {
    /// The tight box of the set pixels `[x0, y0, x1-x0+1, y1-y0+1]`, or all zeros for an empty mask (pycocotools `toBbox`).
    public var boundingBox: BoxXYWH {
        let h = height
        guard h > 0 else { return BoxXYWH(x: 0, y: 0, width: 0, height: 0) }
        var xs = Int.max, xe = -1, ys = Int.max, ye = -1
        var start = 0
        var j = 0
        while j < counts.count {
            let c = Int(counts[j])
            if j & 1 == 1 && c > 0 {
                let end = start + c - 1
                let x0 = start / h, y0 = start - x0 * h
                let x1 = end / h, y1 = end - x1 * h
                xs = min(xs, x0); xe = max(xe, x1)
                if x1 > x0 { ys = 0; ye = h - 1 } else { ys = min(ys, y0); ye = max(ye, y1) }
            }
            start += c
            j += 1
        }
        if xe < 0 { return BoxXYWH(x: 0, y: 0, width: 0, height: 0) }
        return BoxXYWH(x: Double(xs), y: Double(ys), width: Double(xe - xs + 1), height: Double(ye - ys + 1))
    }

    /// Rasterises a box as the polygon of its four corners, like pycocotools `frBbox`.
    public init(box: BoxXYWH, height: Int, width: Int) throws {
        let xs = box.x, xe = box.x + box.width, ys = box.y, ye = box.y + box.height
        try self.init(polygon: [xs, ys, xs, ye, xe, ye, xe, ys], height: height, width: width)
    }
}
