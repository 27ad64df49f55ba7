/// The similarity measures of selective search, with OpenCV's float arithmetic (selectivesearchsegmentation.cpp;
/// that file is compiled for the baseline x86-64 target, so no fused multiply-adds):
/// - colour: 25-bin histogram per channel (bin = v * 25 / 256), L1-normalised over all channels; similarity is the
///   histogram intersection, summed in order;
/// - texture: 10-bin histograms (bin = Int(Float(v) / 25.6)) of the eight `TextureGradients` maps per channel,
///   normalised by 8 * channels * size; intersection as for colour;
/// - size: 1 - (size_a + size_b) / image size, clamped to [0, 1];
/// - fill: 1 - (bounding box area of both - size_a - size_b) / image size, clamped to [0, 1].
/// Merging two regions averages their histograms weighted by size (float) and unites their fill boxes.
enum SelectiveSearchMeasure: Sendable, Equatable {
    case color, texture, size, fill
}

/// One entry of OpenCV's strategy list: a `StrategyMultiple` (weighted sum over its measures, divided by the
/// float sum of the weights) or a measure added on its own (its value as is).
struct SelectiveSearchStrategy: Sendable, Equatable {
    let measures: [SelectiveSearchMeasure]
    let weights: [Float]
    let isCombination: Bool

    /// `createSelectiveSearchSegmentationStrategyMultiple(s1, ...)`: OpenCV's equal weights for 1 to 4 measures.
    static func combination(_ measures: SelectiveSearchMeasure...) -> SelectiveSearchStrategy {
        let weight: [Float] = [1.0, 0.5, 0.3333, 0.25]
        return SelectiveSearchStrategy(measures: measures, weights: measures.map { _ in weight[measures.count - 1] },
                                       isCombination: true)
    }

    static func single(_ measure: SelectiveSearchMeasure) -> SelectiveSearchStrategy {
        SelectiveSearchStrategy(measures: [measure], weights: [1], isCombination: false)
    }

    /// The strategies `switchToSelectiveSearchFast` (the first two) and `...Quality` (all four) add, in order.
    static func strategies(for mode: SelectiveSearchMode) -> [SelectiveSearchStrategy] {
        let common = [combination(.color, .fill, .texture, .size), combination(.fill, .texture, .size)]
        switch mode {
        case .fast: return common
        case .quality: return common + [single(.fill), single(.size)]
        }
    }

    var weightsTotal: Float { weights.reduce(0, +) }
    var usesColor: Bool { measures.contains(.color) }
    var usesTexture: Bool { measures.contains(.texture) }
}

/// Per-segmentation region histograms, computed once and copied into each grouping (which merges them).
struct RegionHistograms {
    static let colorBins = 25
    static let textureBins = 10

    /// Colour histograms, `colorBins * channels` floats per region.
    static func color(_ image: ChannelImage, _ labels: LabelMap) -> [Float] {
        let cn = image.channels, len = colorBins * cn, n = labels.count
        var counts = [Int32](repeating: 0, count: n * len)
        image.pixels.withUnsafeBufferPointer { px in
            for (i, label) in labels.labels.enumerated() {
                let base = Int(label) * len
                for c in 0 ..< cn { counts[base + c * colorBins + (Int(px[i * cn + c]) * colorBins) >> 8] += 1 }
            }
        }
        var out = [Float](repeating: 0, count: n * len)
        for r in 0 ..< n {
            var total: Float = 0
            for k in 0 ..< len { total += Float(counts[r * len + k]) }
            for k in 0 ..< len { out[r * len + k] = Float(counts[r * len + k]) / total }
        }
        return out
    }

    /// Texture histograms, `textureBins * 8 * channels` floats per region.
    static func texture(_ maps: [[UInt8]], _ labels: LabelMap, sizes: [Int]) -> [Float] {
        let len = textureBins * maps.count, n = labels.count
        // OpenCV: bin = (int)((float)val / (256.0f / 10)).
        let binOf: [Int] = (0 ..< 256).map { Int(Float($0) / (Float(256) / Float(textureBins))) }
        var counts = [Int32](repeating: 0, count: n * len)
        for (m, map) in maps.enumerated() {
            for (i, label) in labels.labels.enumerated() {
                counts[Int(label) * len + m * textureBins + binOf[Int(map[i])]] += 1
            }
        }
        var out = [Float](repeating: 0, count: n * len)
        for r in 0 ..< n {
            let total = Float(sizes[r] * maps.count)
            for k in 0 ..< len { out[r * len + k] = Float(counts[r * len + k]) / total }
        }
        return out
    }
}

/// The mutable state of one grouping: histograms, sizes and fill boxes indexed by region id.
struct StrategyState {
    let strategy: SelectiveSearchStrategy
    let imageSize: Int
    var sizes: [Int]
    var color: [Float]
    var colorLength: Int
    var texture: [Float]
    var textureLength: Int
    var fillBoxes: [ProposalRect]

    @inline(__always)
    private static func intersection(_ h: [Float], _ length: Int, _ a: Int, _ b: Int) -> Float {
        h.withUnsafeBufferPointer { p in
            var r: Float = 0
            let pa = p.baseAddress! + a * length, pb = p.baseAddress! + b * length
            for i in 0 ..< length { r += min(pa[i], pb[i]) }
            return r
        }
    }

    func measure(_ m: SelectiveSearchMeasure, _ a: Int, _ b: Int) -> Float {
        switch m {
        case .color: return Self.intersection(color, colorLength, a, b)
        case .texture: return Self.intersection(texture, textureLength, a, b)
        case .size:
            return max(min(1 - Float(sizes[a] + sizes[b]) / Float(imageSize), 1), 0)
        case .fill:
            let area = fillBoxes[a].union(fillBoxes[b]).area
            return max(min(1 - Float(area - sizes[a] - sizes[b]) / Float(imageSize), 1), 0)
        }
    }

    /// `strategy->get(a, b)`.
    func similarity(_ a: Int, _ b: Int) -> Float {
        guard strategy.isCombination else { return measure(strategy.measures[0], a, b) }
        var total: Float = 0
        for (m, w) in zip(strategy.measures, strategy.weights) { total += w * measure(m, a, b) }
        return total / strategy.weightsTotal
    }

    /// `strategy->merge(a, b)`, before the sizes are updated.
    mutating func merge(_ a: Int, _ b: Int) {
        let sa = Float(sizes[a]), sb = Float(sizes[b]), sum = Float(sizes[a] + sizes[b])
        func mergeHistograms(_ h: inout [Float], _ length: Int) {
            for i in 0 ..< length {
                let v = (h[a * length + i] * sa + h[b * length + i] * sb) / sum
                h[a * length + i] = v
                h[b * length + i] = v
            }
        }
        if strategy.usesColor { mergeHistograms(&color, colorLength) }
        if strategy.usesTexture { mergeHistograms(&texture, textureLength) }
        if strategy.measures.contains(.fill) {
            fillBoxes[a] = fillBoxes[a].union(fillBoxes[b])
            fillBoxes[b] = fillBoxes[a]
        }
    }
}
