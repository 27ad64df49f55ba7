import Foundation

/// OpenCV contrib's two presets: `switchToSelectiveSearchFast` and `switchToSelectiveSearchQuality`.
public enum SelectiveSearchMode: Sendable, Equatable {
    /// HSV and Lab; k = base, base + inc, base + 2 inc; two strategies.
    case fast
    /// HSV, Lab, grey, blue (OpenCV's intended hue; see `SelectiveSearchImages`), rgI; k = base ... base + 4 inc;
    /// four strategies.
    case quality
}

/// Selective search (Uijlings et al.) as OpenCV contrib computes it: `cv2.ximgproc.segmentation.
/// createSelectiveSearchSegmentation()`, `setBaseImage(bgr)`, `switchToSelectiveSearchFast/Quality(base_k, inc_k,
/// sigma)`, `process()`. For every image and every graph segmentation of it (`GraphSegmentation`, min_size 100)
/// and every strategy, the regions of `HierarchicalGrouping`; every region gets the rank
/// `rand() / RAND_MAX * level`, all are sorted by rank (`std::sort`) and the boxes listed once each, in that order.
///
/// The set of boxes does not depend on the ranks. Their order does, through the C library's `rand()`: OpenCV draws
/// from the process's global generator, so the order it returns depends on what else called `rand()` before. Argus
/// draws from glibc's generator in its initial state (seed 1), which is what OpenCV uses in a Linux process whose
/// first `rand()` calls are these; `process(_:randomSeed:)` takes another glibc seed.
///
/// Against OpenCV 5.1 (Tests/ArgusProposalsTests): equal box sets on every recorded image in both modes; equal
/// order on most. The exceptions come from the texture strategy's warps, which the 5.1 wheels hand to Intel IPP
/// (unpublished arithmetic; see `OpenCVWarp`): a gradient pixel off by one level can move a texture bin, then a
/// merge and the levels (so the ranks) of a few regions, usually without changing any box.
public struct SelectiveSearch: Sendable, Equatable {
    public var mode: SelectiveSearchMode
    public var baseK: Int
    public var incK: Int
    /// The Gaussian's sigma, a float as in OpenCV (the segmentations get `Double(sigma)`).
    public var sigma: Float

    /// The largest image the service runs it on: its time grows with the pixels (a 640x480 image takes about a
    /// second in fast mode, several in quality mode, on one core).
    public static let maxPixels = 1024 * 1024

    public init(mode: SelectiveSearchMode, baseK: Int = 150, incK: Int = 150, sigma: Float = 0.8) {
        precondition(incK > 0, "inc_k must be positive (OpenCV's loop would not end)")
        self.mode = mode
        self.baseK = baseK
        self.incK = incK
        self.sigma = sigma
    }

    /// The graph segmentations run on each image, in OpenCV's order.
    public var segmentations: [GraphSegmentation] {
        let steps = mode == .fast ? 2 : 4
        return stride(from: baseK, through: baseK + incK * steps, by: incK).map {
            GraphSegmentation(sigma: Double(sigma), k: Float($0), minSize: 100)
        }
    }

    /// The proposals for a BGR image, ordered as OpenCV orders them when its process's `rand()` is freshly
    /// seeded with `randomSeed` (glibc; 1 is the state of a process that never called `srand`).
    public func process(_ bgr: ChannelImage, randomSeed: UInt32 = 1) -> [ProposalRect] {
        precondition(bgr.channels == 3, "selective search needs a 3-channel BGR image")
        var random = GlibcRandom(seed: randomSeed)
        var ranked: [RankedBox] = []
        for regions in groupings(bgr) {
            for region in regions {
                let rank = Double(random.next()) / Double(GlibcRandom.max) * Double(region.level)
                ranked.append(RankedBox(rank: rank, box: region.box))
            }
        }
        IntroSort.sort(&ranked, by: ByRank.self)
        var seen = Set<ProposalRect>()
        var boxes: [ProposalRect] = []
        for r in ranked where seen.insert(r.box).inserted { boxes.append(r.box) }
        return boxes
    }

    /// Every grouping's regions, in OpenCV's order: image-major, then segmentation, then strategy.
    func groupings(_ bgr: ChannelImage) -> [[GroupedRegion]] {
        let images = SelectiveSearchImages.images(for: bgr, mode: mode)
        let segmentations = self.segmentations
        let strategies = SelectiveSearchStrategy.strategies(for: mode)
        let needsTexture = strategies.contains { $0.usesTexture }
        // Per image (in parallel): the texture maps, which depend on the image only, and the label maps for every
        // k, which share one blur and edge sort. Then per segmentation (in parallel): the groupings.
        var textures = [[[UInt8]]](repeating: [], count: images.count)
        var labels = [[LabelMap]](repeating: [], count: images.count)
        let lock = NSLock()
        let ks = segmentations.map(\.k)
        DispatchQueue.concurrentPerform(iterations: images.count) { i in
            let maps = needsTexture ? TextureGradients.maps(images[i]) : []
            let segmented = segmentations[0].segment(images[i], ks: ks)
            lock.lock(); textures[i] = maps; labels[i] = segmented; lock.unlock()
        }
        let jobs = images.count * segmentations.count
        var results = [[[GroupedRegion]]](repeating: [], count: jobs)
        DispatchQueue.concurrentPerform(iterations: jobs) { job in
            let i = job / segmentations.count
            let groups = Self.group(images[i], labels[i][job % segmentations.count], textures[i], strategies)
            lock.lock(); results[job] = groups; lock.unlock()
        }
        return results.flatMap { $0 }
    }

    /// The groupings of one segmentation, one per strategy.
    static func group(_ image: ChannelImage, _ labels: LabelMap, _ textureMaps: [[UInt8]],
                      _ strategies: [SelectiveSearchStrategy]) -> [[GroupedRegion]] {
        let adjacency = RegionAdjacency(labels)
        let color = strategies.contains { $0.usesColor }
            ? RegionHistograms.color(image, labels) : []
        let texture = strategies.contains { $0.usesTexture }
            ? RegionHistograms.texture(textureMaps, labels, sizes: adjacency.sizes) : []
        return strategies.map { strategy in
            var state = StrategyState(strategy: strategy, imageSize: image.width * image.height,
                                      sizes: adjacency.sizes,
                                      color: strategy.usesColor ? color : [],
                                      colorLength: RegionHistograms.colorBins * image.channels,
                                      texture: strategy.usesTexture ? texture : [],
                                      textureLength: RegionHistograms.textureBins * textureMaps.count,
                                      fillBoxes: adjacency.boxes)
            return HierarchicalGrouping.group(adjacency, state: &state)
        }
    }

    struct RankedBox {
        var rank: Double
        var box: ProposalRect
    }

    enum ByRank: IntroSortOrder {
        static func less(_ a: RankedBox, _ b: RankedBox) -> Bool { a.rank < b.rank }
    }
}

/// `SelectiveSearch(mode:baseK:incK:sigma:).process(bgr)`: OpenCV's proposals for a BGR image.
public func selectiveSearch(_ bgr: ChannelImage, mode: SelectiveSearchMode, baseK: Int = 150, incK: Int = 150,
                            sigma: Float = 0.8) -> [ProposalRect] {
    SelectiveSearch(mode: mode, baseK: baseK, incK: incK, sigma: sigma).process(bgr)
}

/// glibc's `rand()` (`random_r`, TYPE_3): an additive lagged Fibonacci generator, r[i] = r[i-3] + r[i-31]
/// (mod 2^32), its 31-word state seeded by `srand` with 16807 x mod (2^31 - 1) and warmed up by 310 steps;
/// each output is r[i] >> 1.
struct GlibcRandom {
    static let max: Int32 = 2_147_483_647
    private var ring = [UInt32](repeating: 0, count: 34)
    private var index = 0

    init(seed: UInt32) {
        var r = [Int32](repeating: 0, count: 34)
        r[0] = Int32(bitPattern: seed == 0 ? 1 : seed)
        for i in 1 ..< 31 {
            let hi = r[i - 1] / 127_773, lo = r[i - 1] % 127_773
            var word = 16807 &* lo &- 2836 &* hi
            if word < 0 { word &+= 2_147_483_647 }
            r[i] = word
        }
        for i in 31 ..< 34 { r[i] = r[i - 31] }
        ring = r.map { UInt32(bitPattern: $0) }
        index = 34
        for _ in 34 ..< 344 { _ = step() }
    }

    private mutating func step() -> UInt32 {
        let value = ring[(index - 31) % 34] &+ ring[(index - 3) % 34]
        ring[index % 34] = value
        index += 1
        if index >= 34 * 1000 { index -= 34 * 990 }  // keep the index small; only its value mod 34 matters
        return value
    }

    mutating func next() -> Int32 { Int32(bitPattern: step() >> 1) }
}
