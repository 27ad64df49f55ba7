import ArgusDetection

/// torchvision's AnchorGenerator: per level, sizes x aspect ratios centred cell anchors (rounded to
/// whole pixels), shifted to every feature-map location; order (y, x, anchor).
struct AnchorGenerator {
    /// Per level: the cell anchors (x1, y1, x2, y2) around the origin.
    let cellAnchors: [[Box]]

    init(sizes: [[Int]], aspectRatios: [[Float]]) {
        cellAnchors = zip(sizes, aspectRatios).map { scales, ratios in
            var anchors: [Box] = []
            // Ratio-major, scale-minor, in Float32 like torch (w = 1/sqrt(r) * s, h = sqrt(r) * s).
            for r in ratios {
                let h = r.squareRoot(), w = 1 / h
                for s in scales {
                    let ws = w * Float(s), hs = h * Float(s)
                    anchors.append(Box(x1: (-ws / 2).rounded(.toNearestOrEven), y1: (-hs / 2).rounded(.toNearestOrEven),
                                       x2: (ws / 2).rounded(.toNearestOrEven), y2: (hs / 2).rounded(.toNearestOrEven)))
                }
            }
            return anchors
        }
    }

    var anchorsPerLocation: Int { cellAnchors.first?.count ?? 0 }

    /// The anchor with flat index `index` ((y * W + x) * A + a) on `level`, whose feature map is
    /// `gridWidth` wide with integer `stride` (padded image size // grid size, per axis).
    @inline(__always)
    func anchor(level: Int, index: Int, gridWidth: Int, stride: (y: Int, x: Int)) -> Box {
        let cells = cellAnchors[level]
        let a = index % cells.count, loc = index / cells.count
        let sx = Float((loc % gridWidth) * stride.x), sy = Float((loc / gridWidth) * stride.y)
        let c = cells[a]
        return Box(x1: sx + c.x1, y1: sy + c.y1, x2: sx + c.x2, y2: sy + c.y2)
    }
}
