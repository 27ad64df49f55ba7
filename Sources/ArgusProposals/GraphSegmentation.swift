/// Felzenszwalb & Huttenlocher's graph-based segmentation, exactly as OpenCV contrib computes it:
/// `cv2.ximgproc.segmentation.createGraphSegmentation(sigma, k, min_size).processImage(image)` (module ximgproc,
/// graphsegmentation.cpp). The label maps are equal to OpenCV's, numbering included, on an x86-64 CPU with AVX2 +
/// FMA (the arithmetic OpenCV's float Gaussian blur dispatches to there) for sigma >= 0.5625 (7-tap kernels and
/// larger); see Tests/ArgusProposalsTests and tools/gen_selective_search_fixtures.py for what was compared.
///
/// The steps, in OpenCV's order:
/// 1. the 8-bit image to float, blurred with `GaussianBlur(Size(0, 0), sigma)` (`OpenCVGaussianBlur`);
/// 2. for every pixel, in raster order, an edge to each of its neighbours above, left, below, right (so every
///    adjacent pair appears twice, once from each end), weighted by the float Euclidean distance of the blurred
///    pixels: squares summed channel by channel from 0, then `sqrt`;
/// 3. the edges sorted by weight with libstdc++'s `std::sort` (`IntroSort`; equal weights keep its order);
/// 4. Kruskal-style merging: an edge joins its two components when its weight is within both components'
///    thresholds (initially k); the joined component's threshold becomes `weight + k / size` (float), and the
///    edge's weight is set to 0;
/// 5. one pass over the sorted edges whose weight is still positive, joining components of which either is
///    smaller than `minSize`;
/// 6. labels numbered by first appearance in raster order.
/// Union-find as OpenCV's `PointSet`: union by size (the first argument's root wins ties), and `find` points only
/// the queried element at its root.
public struct GraphSegmentation: Sendable, Equatable {
    /// The Gaussian's standard deviation; as `setSigma`, values <= 0 become 0.001.
    public var sigma: Double {
        didSet { if sigma <= 0 { sigma = 0.001 } }
    }
    /// The scale of the merge threshold (larger k, larger segments).
    public var k: Float
    /// Segments smaller than this are merged into a neighbour.
    public var minSize: Int

    /// OpenCV's defaults: `createGraphSegmentation(sigma = 0.5, k = 300, min_size = 100)`.
    public init(sigma: Double = 0.5, k: Float = 300, minSize: Int = 100) {
        self.sigma = sigma <= 0 ? 0.001 : sigma
        self.k = k
        self.minSize = minSize
    }

    /// Whether the blur, and so the segmentation, is bit-exact for this sigma (see `OpenCVGaussianBlur`).
    public var isBitExact: Bool { OpenCVGaussianBlur.isBitExact(sigma: sigma) }

    /// `processImage`: the label map of `image` (any channel count, in OpenCV's channel order).
    public func segment(_ image: ChannelImage) -> LabelMap {
        let floats = image.pixels.map { Float($0) }
        let blurred = OpenCVGaussianBlur.blur(floats, width: image.width, height: image.height,
                                              channels: image.channels, sigma: sigma)
        return segment(blurred: blurred, width: image.width, height: image.height, channels: image.channels)
    }

    /// Steps 2 to 6 on an already blurred float image.
    func segment(blurred: [Float], width: Int, height: Int, channels: Int,
                 edgeOrder: EdgeOrder = .libstdcxx) -> LabelMap {
        var edges = Self.buildEdges(blurred, width: width, height: height, channels: channels)
        Self.sortEdges(&edges, edgeOrder)
        var sets = PointSet(count: width * height)
        merge(&edges, &sets)
        mergeSmall(edges, &sets)
        return label(&sets, width: width, height: height)
    }

    /// The segmentations of one image for several k (this sigma and minSize), as `segment` gives them one by one:
    /// the blur, the edges and their sort do not depend on k, so they are done once (selective search runs 3 or 5
    /// k per image).
    func segment(_ image: ChannelImage, ks: [Float]) -> [LabelMap] {
        let blurred = OpenCVGaussianBlur.blur(image.pixels.map { Float($0) }, width: image.width,
                                              height: image.height, channels: image.channels, sigma: sigma)
        var sorted = Self.buildEdges(blurred, width: image.width, height: image.height, channels: image.channels)
        Self.sortEdges(&sorted)
        return ks.map { k in
            var gs = self
            gs.k = k
            var edges = sorted
            var sets = PointSet(count: image.width * image.height)
            gs.merge(&edges, &sets)
            gs.mergeSmall(edges, &sets)
            return gs.label(&sets, width: image.width, height: image.height)
        }
    }

    /// How equal-weight edges are ordered: as OpenCV's std::sort leaves them, or stably (for measuring how much
    /// the tie order matters).
    enum EdgeOrder { case libstdcxx, stable }

    /// Step 3: by weight alone, equal weights left as libstdc++'s std::sort leaves them (or stably).
    static func sortEdges(_ edges: inout [Edge], _ order: EdgeOrder = .libstdcxx) {
        switch order {
        case .libstdcxx: IntroSort.sort(&edges, by: ByWeight.self)
        case .stable: edges.sort { $0.weight < $1.weight }  // Swift's sort is stable
        }
    }

    struct Edge {
        var from: Int32
        var to: Int32
        var weight: Float
    }

    /// OpenCV's `Edge::operator<`: by weight only.
    enum ByWeight: IntroSortOrder {
        static func less(_ a: Edge, _ b: Edge) -> Bool { a.weight < b.weight }
    }

    static func buildEdges(_ image: [Float], width: Int, height: Int, channels cn: Int) -> [Edge] {
        let count = 4 * width * height - 2 * (width + height)
        var edges = [Edge]()
        edges.reserveCapacity(max(count, 0))
        image.withUnsafeBufferPointer { buffer in
            let p = buffer.baseAddress!
            @inline(__always) func weight(_ a: Int, _ b: Int) -> Float {
                let pa = p + a * cn, pb = p + b * cn
                var total: Float = 0
                for c in 0 ..< cn {
                    let d = pa[c] - pb[c]
                    total = total + d * d
                }
                return total.squareRoot()
            }
            for y in 0 ..< height {
                for x in 0 ..< width {
                    let i = y * width + x
                    // above, left, below, right
                    if y > 0 { edges.append(Edge(from: Int32(i), to: Int32(i - width), weight: weight(i, i - width))) }
                    if x > 0 { edges.append(Edge(from: Int32(i), to: Int32(i - 1), weight: weight(i, i - 1))) }
                    if y + 1 < height { edges.append(Edge(from: Int32(i), to: Int32(i + width), weight: weight(i, i + width))) }
                    if x + 1 < width { edges.append(Edge(from: Int32(i), to: Int32(i + 1), weight: weight(i, i + 1))) }
                }
            }
        }
        return edges
    }

    /// Step 4 (OpenCV's `segmentGraph`).
    func merge(_ edges: inout [Edge], _ sets: inout PointSet) {
        let k = self.k
        var thresholds = [Float](repeating: k, count: sets.count)
        edges.withUnsafeMutableBufferPointer { e in
            thresholds.withUnsafeMutableBufferPointer { t in
                for i in 0 ..< e.count {
                    var a = sets.find(Int(e[i].from))
                    let b = sets.find(Int(e[i].to))
                    let w = e[i].weight
                    if a != b && w <= t[a] && w <= t[b] {
                        sets.join(a, b)
                        a = sets.find(a)
                        t[a] = w + k / Float(sets.size(a))
                        e[i].weight = 0
                    }
                }
            }
        }
    }

    /// Step 5 (OpenCV's `filterSmallAreas`).
    func mergeSmall(_ edges: [Edge], _ sets: inout PointSet) {
        let minSize = self.minSize
        for edge in edges where edge.weight > 0 {
            let a = sets.find(Int(edge.from)), b = sets.find(Int(edge.to))
            if a != b && (sets.size(a) < minSize || sets.size(b) < minSize) { sets.join(a, b) }
        }
    }

    /// Step 6 (OpenCV's `finalMapping`).
    func label(_ sets: inout PointSet, width: Int, height: Int) -> LabelMap {
        let n = width * height
        var mapped = [Int32](repeating: -1, count: n)
        var labels = [Int32](repeating: 0, count: n)
        var next: Int32 = 0
        for i in 0 ..< n {
            let root = sets.find(i)
            if mapped[root] == -1 {
                mapped[root] = next
                next += 1
            }
            labels[i] = mapped[root]
        }
        return LabelMap(width: width, height: height, labels: labels, count: Int(next))
    }
}

/// OpenCV's `PointSet`: parents and sizes, union by size, and a `find` that re-points only the element asked about.
struct PointSet {
    private var parent: [Int32]
    private var sizes: [Int32]

    init(count: Int) {
        parent = (0 ..< count).map { Int32($0) }
        sizes = [Int32](repeating: 1, count: count)
    }

    var count: Int { parent.count }

    @inline(__always)
    mutating func find(_ p: Int) -> Int {
        var root = p
        while Int(parent[root]) != root { root = Int(parent[root]) }
        parent[p] = Int32(root)
        return root
    }

    /// Joins two roots; the larger set's root (the first on a tie) stays the root.
    @inline(__always)
    mutating func join(_ a: Int, _ b: Int) {
        var a = a, b = b
        if sizes[a] < sizes[b] { swap(&a, &b) }
        parent[b] = Int32(a)
        sizes[a] += sizes[b]
    }

    @inline(__always)
    func size(_ root: Int) -> Int { Int(sizes[root]) }
}
