/// A box in pixels, `x, y` its top-left corner, both ends included in `width, height` (OpenCV's `cv::Rect`).
public struct ProposalRect: Sendable, Hashable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    /// The smallest box holding both (`Rect | Rect`).
    func union(_ o: ProposalRect) -> ProposalRect {
        let left = min(x, o.x), top = min(y, o.y)
        return ProposalRect(x: left, y: top, width: max(x + width, o.x + o.width) - left,
                            height: max(y + height, o.y + o.height) - top)
    }

    var area: Int { width * height }

    public var description: String { "[\(x), \(y), \(width), \(height)]" }
}

/// What selective search derives from one label map before grouping (its `process` loop): each region's pixel
/// count and bounding box, and the neighbouring pairs.
///
/// Neighbours as OpenCV marks them: for every pixel not in the first row or column, its region and the regions of
/// the pixels left, above and above-left. So regions touching only along the first row, only along the first
/// column, or only diagonally the other way (above-right) are not neighbours. Pairs are listed as OpenCV visits
/// its matrix: `i` ascending, then `j > i` ascending.
struct RegionAdjacency {
    let count: Int
    var sizes: [Int]
    var boxes: [ProposalRect]
    var pairs: [(Int32, Int32)]

    init(_ labels: LabelMap) {
        let n = labels.count, w = labels.width, h = labels.height
        count = n
        var sizes = [Int](repeating: 0, count: n)
        var minX = [Int](repeating: Int.max, count: n), minY = minX
        var maxX = [Int](repeating: Int.min, count: n), maxY = maxX
        var marked = [Bool](repeating: false, count: n * n)
        labels.labels.withUnsafeBufferPointer { l in
            for y in 0 ..< h {
                for x in 0 ..< w {
                    let r = Int(l[y * w + x])
                    sizes[r] += 1
                    minX[r] = min(minX[r], x); maxX[r] = max(maxX[r], x)
                    minY[r] = min(minY[r], y); maxY[r] = max(maxY[r], y)
                    if y > 0 && x > 0 {
                        for o in [Int(l[y * w + x - 1]), Int(l[(y - 1) * w + x]), Int(l[(y - 1) * w + x - 1])] {
                            marked[r * n + o] = true
                            marked[o * n + r] = true
                        }
                    }
                }
            }
        }
        self.sizes = sizes
        boxes = (0 ..< n).map { ProposalRect(x: minX[$0], y: minY[$0], width: maxX[$0] - minX[$0] + 1,
                                             height: maxY[$0] - minY[$0] + 1) }
        var pairs: [(Int32, Int32)] = []
        for i in 0 ..< n {
            for j in i + 1 ..< max(n, i + 1) where marked[i * n + j] { pairs.append((Int32(i), Int32(j))) }
        }
        self.pairs = pairs
    }
}
