import ArgusProposals

/// An R-CNN manifest's `config`: the classifier every region goes through and the paper's test-time settings.
/// Keys missing from a manifest keep the defaults below.
public struct SlowRCNNConfig: Sendable, Codable, Equatable {
    /// The classification network and its preset (the preset's crop size is the warp size, its mean and std the
    /// normalisation; its resize size is unused).
    public var classifier: ClassificationConfig
    /// Context pixels around each region in the warped frame (the paper's p = 16).
    public var padding: Int
    /// The selective search mode used when the caller gives no proposals.
    public var proposals: SelectiveSearchMode
    /// The most regions scored per image: selective search's first ones, or the caller's (the paper's ~2000).
    public var maxRegions: Int
    /// Warped regions per forward pass.
    public var batchSize: Int
    /// Defaults of `conf`, `iou` and `max_det`: a class is kept for a region at softmax probability >= score_thresh,
    /// then per-class NMS at nms_thresh (the paper's test-time 0.3).
    public var scoreThresh: Float
    public var nmsThresh: Double
    public var detectionsPerImg: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case classifier, padding, proposals, maxRegions = "max_regions", batchSize = "batch_size"
        case scoreThresh = "score_thresh", nmsThresh = "nms_thresh", detectionsPerImg = "detections_per_img"
    }

    public init(classifier: ClassificationConfig, padding: Int = 16, proposals: SelectiveSearchMode = .fast,
                maxRegions: Int = 2000, batchSize: Int = 16, scoreThresh: Float = 0.5, nmsThresh: Double = 0.3,
                detectionsPerImg: Int = 100) {
        self.classifier = classifier; self.padding = padding; self.proposals = proposals; self.maxRegions = maxRegions
        self.batchSize = batchSize; self.scoreThresh = scoreThresh; self.nmsThresh = nmsThresh
        self.detectionsPerImg = detectionsPerImg
    }

    /// The most regions a manifest may ask for per image.
    public static let regionLimit = 10_000

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SlowRCNNConfig(classifier: try c.decode(ClassificationConfig.self, forKey: .classifier))
        self = d
        padding = try c.decodeIfPresent(Int.self, forKey: .padding) ?? d.padding
        if let mode = try c.decodeIfPresent(String.self, forKey: .proposals) {
            guard let parsed = Self.mode(named: mode) else {
                throw DecodingError.dataCorruptedError(forKey: .proposals, in: c, debugDescription:
                    "proposals must be selective_search:fast or selective_search:quality, got '\(mode)'")
            }
            proposals = parsed
        }
        maxRegions = try c.decodeIfPresent(Int.self, forKey: .maxRegions) ?? d.maxRegions
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        scoreThresh = try c.decodeIfPresent(Float.self, forKey: .scoreThresh) ?? d.scoreThresh
        nmsThresh = try c.decodeIfPresent(Double.self, forKey: .nmsThresh) ?? d.nmsThresh
        detectionsPerImg = try c.decodeIfPresent(Int.self, forKey: .detectionsPerImg) ?? d.detectionsPerImg
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(classifier, forKey: .classifier)
        try c.encode(padding, forKey: .padding)
        try c.encode(Self.name(of: proposals), forKey: .proposals)
        try c.encode(maxRegions, forKey: .maxRegions)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(scoreThresh, forKey: .scoreThresh)
        try c.encode(nmsThresh, forKey: .nmsThresh)
        try c.encode(detectionsPerImg, forKey: .detectionsPerImg)
    }

    static func mode(named name: String) -> SelectiveSearchMode? {
        switch name {
        case "selective_search:fast": return .fast
        case "selective_search:quality": return .quality
        default: return nil
        }
    }

    static func name(of mode: SelectiveSearchMode) -> String {
        mode == .fast ? "selective_search:fast" : "selective_search:quality"
    }

    /// Checks the values a model can be built with, naming the first bad one.
    public func validated() throws -> SlowRCNNConfig {
        func fail(_ m: String) -> ModelError { .malformedConfig("rcnn: \(m)") }
        _ = try classifier.validated()
        let size = classifier.preset.cropSize
        guard padding >= 0, size - 2 * padding >= 1 else {
            throw fail("padding must be in 0...\((size - 1) / 2) for a \(size) px warp, got \(padding)")
        }
        guard (1...Self.regionLimit).contains(maxRegions) else { throw fail("max_regions must be in 1...\(Self.regionLimit), got \(maxRegions)") }
        guard (1...256).contains(batchSize) else { throw fail("batch_size must be in 1...256, got \(batchSize)") }
        guard scoreThresh >= 0, scoreThresh <= 1 else { throw fail("score_thresh must be in [0, 1], got \(scoreThresh)") }
        guard nmsThresh >= 0, nmsThresh <= 1 else { throw fail("nms_thresh must be in [0, 1], got \(nmsThresh)") }
        guard (1...DetectOptions.maxDetectionsLimit).contains(detectionsPerImg) else {
            throw fail("detections_per_img must be in 1...\(DetectOptions.maxDetectionsLimit), got \(detectionsPerImg)")
        }
        return self
    }
}
