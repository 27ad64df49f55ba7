#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgusDetection

/// torchvision's DefaultBoxGenerator (SSD paper, page 6): on feature map k, at every location, boxes of widths
/// and heights (relative to the image) s_k x s_k, s'_k x s'_k (s'_k = sqrt(s_k s_{k+1})), then s_k sqrt(r) x
/// s_k / sqrt(r) and its transpose for each extra aspect ratio r; centred on the cell, order (y, x, box).
struct DefaultBoxGenerator {
    /// Per map: the (w, h) pairs, computed in Double as torchvision does, then Float32 and clamped to [0, 1].
    let whPairs: [[(w: Float, h: Float)]]
    let steps: [Int]?

    init(aspectRatios: [[Float]], scales: [Double], steps: [Int]?, clip: Bool) {
        whPairs = aspectRatios.enumerated().map { k, ratios in
            let s = scales[k], sPrime = (scales[k] * scales[k + 1]).squareRoot()
            var pairs: [(Double, Double)] = [(s, s), (sPrime, sPrime)]
            for r in ratios {
                let root = Double(r).squareRoot()
                pairs.append((s * root, s / root))
                pairs.append((s / root, s * root))
            }
            return pairs.map { w, h in
                let (w, h) = (Float(w), Float(h))
                return clip ? (min(max(w, 0), 1), min(max(h, 0), 1)) : (w, h)
            }
        }
        self.steps = steps
    }

    var boxesPerLocation: [Int] { whPairs.map(\.count) }

    /// Every default box in input pixels (x1, y1, x2, y2) for maps of `gridSizes` (height, width) on an input of
    /// `imageSize` (height, width), maps in order.
    func boxes(gridSizes: [(Int, Int)], imageSize: (Int, Int)) -> [Box] {
        var out: [Box] = []
        out.reserveCapacity(zip(gridSizes, whPairs).reduce(0) { $0 + $1.0.0 * $1.0.1 * $1.1.count })
        let imageW = Float(imageSize.1), imageH = Float(imageSize.0)
        for (k, grid) in gridSizes.enumerated() {
            // Cell count per unit of image: the image over the step, else the map's own size (Float32 division).
            let fx: Float, fy: Float
            if let steps {
                fx = Float(Double(imageSize.1) / Double(steps[k])); fy = Float(Double(imageSize.0) / Double(steps[k]))
            } else {
                fx = Float(grid.1); fy = Float(grid.0)
            }
            for y in 0..<grid.0 {
                let cy = (Float(y) + 0.5) / fy
                for x in 0..<grid.1 {
                    let cx = (Float(x) + 0.5) / fx
                    for (w, h) in whPairs[k] {
                        out.append(Box(x1: (cx - 0.5 * w) * imageW, y1: (cy - 0.5 * h) * imageH,
                                       x2: (cx + 0.5 * w) * imageW, y2: (cy + 0.5 * h) * imageH))
                    }
                }
            }
        }
        return out
    }
}
