import Foundation

/// The RetinaNet architectures torchvision builds, by their builder names.
public enum RetinaNetArchitecture: String, Sendable, Codable, CaseIterable {
    /// Lin et al. 2017: ResNet-50 FPN on C3-C5, P6 from P5, P7; heads of four 3x3 convs with ReLU.
    case resnet50FPN = "retinanet_resnet50_fpn"
    /// v2 (torchvision's improved recipe): P6 from C5, GroupNorm(32) in the heads (trained with GIoU loss).
    case resnet50FPNv2 = "retinanet_resnet50_fpn_v2"

    public var isV2: Bool { self == .resnet50FPNv2 }
}

/// Every hyper-parameter of a torchvision RetinaNet, named (in JSON) as torchvision's constructors name them.
/// `defaults(for:)` gives the builders' values; a manifest may override any of them.
public struct RetinaNetConfig: Sendable, Codable, Equatable {
    public var architecture: RetinaNetArchitecture
    /// Class outputs per anchor (91 for torchvision's COCO models; no background class, index 0 is unused).
    public var numClasses: Int
    /// GeneralizedRCNNTransform, as for the R-CNNs.
    public var minSize: Int
    public var maxSize: Int
    public var imageMean: [Float]
    public var imageStd: [Float]
    public var sizeDivisible: Int
    /// AnchorGenerator per level (P3-P7): three octave scales and three aspect ratios.
    public var anchorSizes: [[Int]]
    public var aspectRatios: [[Float]]
    public var scoreThresh: Float
    public var nmsThresh: Double
    public var detectionsPerImg: Int
    /// Best candidates kept per level before NMS.
    public var topkCandidates: Int
    public var fpnOutChannels: Int
    /// GroupNorm groups of the head convs (v2: 32; nil: plain conv with bias, v1).
    public var headGroupNormGroups: Int?
    public var groupNormEps: Float
    /// Batch-norm epsilon of the backbone (torchvision loads the COCO_V1 weights with 0, like Faster R-CNN's).
    public var batchNormEps: Float
    public var boxCoderWeights: [Float]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case architecture, numClasses = "num_classes", minSize = "min_size", maxSize = "max_size"
        case imageMean = "image_mean", imageStd = "image_std", sizeDivisible = "size_divisible"
        case anchorSizes = "anchor_sizes", aspectRatios = "aspect_ratios", scoreThresh = "score_thresh"
        case nmsThresh = "nms_thresh", detectionsPerImg = "detections_per_img", topkCandidates = "topk_candidates"
        case fpnOutChannels = "fpn_out_channels", headGroupNormGroups = "head_group_norm_groups"
        case groupNormEps = "group_norm_eps", batchNormEps = "batch_norm_eps", boxCoderWeights = "box_coder_weights"
    }

    /// torchvision 0.28's values (models/detection/retinanet.py: RetinaNet.__init__, `_default_anchorgen`, the
    /// two builders).
    public static func defaults(for architecture: RetinaNetArchitecture) -> RetinaNetConfig {
        // _default_anchorgen: (x, int(x * 2^(1/3)), int(x * 2^(2/3))) for x in 32...512.
        let sizes = [32, 64, 128, 256, 512].map { x in
            [x, Int(Double(x) * Double(pow2Third: 1)), Int(Double(x) * Double(pow2Third: 2))]
        }
        return RetinaNetConfig(
            architecture: architecture, numClasses: 91, minSize: 800, maxSize: 1333,
            imageMean: [0.485, 0.456, 0.406], imageStd: [0.229, 0.224, 0.225], sizeDivisible: 32,
            anchorSizes: sizes, aspectRatios: Array(repeating: [0.5, 1.0, 2.0], count: 5),
            scoreThresh: 0.05, nmsThresh: 0.5, detectionsPerImg: 300, topkCandidates: 1000, fpnOutChannels: 256,
            headGroupNormGroups: architecture.isV2 ? 32 : nil, groupNormEps: 1e-5, batchNormEps: 1e-5,
            boxCoderWeights: [1, 1, 1, 1])
    }

    /// Checks the values a model can be built and run with, naming the first bad one.
    public func validated() throws -> RetinaNetConfig {
        func fail(_ m: String) -> ModelError { .malformedConfig("\(architecture.rawValue): \(m)") }
        guard numClasses >= 1 else { throw fail("num_classes must be >= 1, got \(numClasses)") }
        guard minSize >= 1, maxSize >= 1, minSize <= 4096, maxSize <= 8192 else {
            throw fail("min_size/max_size must be in 1...4096 / 1...8192, got \(minSize)/\(maxSize)")
        }
        guard imageMean.count == 3, imageStd.count == 3, imageStd.allSatisfy({ $0 > 0 && $0.isFinite }),
              imageMean.allSatisfy(\.isFinite) else {
            throw fail("image_mean and image_std need 3 finite values, std > 0")
        }
        guard sizeDivisible >= 1 else { throw fail("size_divisible must be >= 1") }
        guard anchorSizes.count == 5, aspectRatios.count == 5,
              anchorSizes.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 > 0 } }),
              aspectRatios.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 > 0 } }) else {
            throw fail("anchor_sizes and aspect_ratios need one non-empty list of positive values for each of P3-P7")
        }
        let perLocation = zip(anchorSizes, aspectRatios).map { $0.count * $1.count }
        guard Set(perLocation).count == 1 else { throw fail("every level needs the same number of anchors per location (the head is shared)") }
        guard (0...1).contains(scoreThresh), (0...1).contains(nmsThresh) else { throw fail("thresholds must be in [0, 1]") }
        guard detectionsPerImg >= 1, topkCandidates >= 1 else {
            throw fail("detections_per_img and topk_candidates must be >= 1")
        }
        guard fpnOutChannels >= 1 else { throw fail("fpn_out_channels must be >= 1") }
        if let g = headGroupNormGroups {
            guard g >= 1, fpnOutChannels % g == 0 else {
                throw fail("head_group_norm_groups must divide fpn_out_channels (\(fpnOutChannels)), got \(g)")
            }
        }
        guard groupNormEps > 0, groupNormEps.isFinite, batchNormEps >= 0, batchNormEps.isFinite else {
            throw fail("group_norm_eps must be > 0 and batch_norm_eps >= 0")
        }
        guard boxCoderWeights.count == 4, boxCoderWeights.allSatisfy({ $0 > 0 }) else {
            throw fail("box_coder_weights needs 4 positive values")
        }
        return self
    }

    /// Anchors per location (9 for the published models).
    public var anchorsPerLocation: Int { anchorSizes[0].count * aspectRatios[0].count }
}

extension RetinaNetConfig {
    /// Decodes a (possibly partial) JSON object over the architecture's defaults: absent keys keep
    /// torchvision's values, unknown keys are an error.
    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let keys = try decoder.container(keyedBy: CodingKeys.self)
        var c = RetinaNetConfig.defaults(for: try keys.decode(RetinaNetArchitecture.self, forKey: .architecture))
        func read<T: Decodable>(_ key: CodingKeys, _ path: WritableKeyPath<RetinaNetConfig, T>) throws {
            if let v = try keys.decodeIfPresent(T.self, forKey: key) { c[keyPath: path] = v }
        }
        try read(.numClasses, \.numClasses); try read(.minSize, \.minSize); try read(.maxSize, \.maxSize)
        try read(.imageMean, \.imageMean); try read(.imageStd, \.imageStd); try read(.sizeDivisible, \.sizeDivisible)
        try read(.anchorSizes, \.anchorSizes); try read(.aspectRatios, \.aspectRatios)
        try read(.scoreThresh, \.scoreThresh); try read(.nmsThresh, \.nmsThresh)
        try read(.detectionsPerImg, \.detectionsPerImg); try read(.topkCandidates, \.topkCandidates)
        try read(.fpnOutChannels, \.fpnOutChannels)
        if keys.contains(.headGroupNormGroups) {
            c.headGroupNormGroups = try keys.decodeNil(forKey: .headGroupNormGroups) ? nil
                : keys.decode(Int.self, forKey: .headGroupNormGroups)
        }
        try read(.groupNormEps, \.groupNormEps); try read(.batchNormEps, \.batchNormEps)
        try read(.boxCoderWeights, \.boxCoderWeights)
        self = c
    }
}

private extension Double {
    /// 2^(k/3) as Python's `2 ** (k / 3.0)`.
    init(pow2Third k: Int) { self = Foundation.pow(2.0, Double(k) / 3.0) }
}
