/// The SSD architectures torchvision builds, by their builder names.
public enum SSDArchitecture: String, Sendable, Codable, CaseIterable {
    /// SSD300 (Liu et al. 2016) on VGG-16 with the L2-normalized conv4_3 and four extra stages.
    case ssd300VGG16 = "ssd300_vgg16"
    /// SSDlite (Sandler et al. 2018, MobileNetV3 paper section 6.3) on MobileNetV3-Large, separable heads.
    case ssdlite320MobileNetV3Large = "ssdlite320_mobilenet_v3_large"
}

/// Every hyper-parameter of a torchvision SSD, named (in JSON) as torchvision's constructors name them.
/// `defaults(for:)` gives the builders' values; a manifest may override any of them.
public struct SSDConfig: Sendable, Codable, Equatable {
    public var architecture: SSDArchitecture
    /// Classes including background (91 for torchvision's COCO models).
    public var numClasses: Int
    /// The fixed input size every image is resized to, its aspect not kept: [width, height], as torchvision's
    /// `size` (its transform resizes to height size[1], width size[0]).
    public var size: [Int]
    public var imageMean: [Float]
    public var imageStd: [Float]
    /// DefaultBoxGenerator: the extra aspect ratios per feature map, the scales (one more than maps), and the
    /// steps (nil: each map's own size decides the centres).
    public var aspectRatios: [[Float]]
    public var scales: [Double]
    public var steps: [Int]?
    /// Clamp default-box widths and heights to [0, 1] of the image.
    public var clip: Bool
    public var scoreThresh: Float
    public var nmsThresh: Double
    public var detectionsPerImg: Int
    /// Best candidates kept per class before NMS.
    public var topkCandidates: Int
    public var boxCoderWeights: [Float]
    /// MobileNetV3 width multiplier and whether its last stage is halved (SSDlite; read off the tensors).
    public var widthMult: Double
    public var reducedTail: Bool
    /// Batch-norm epsilon (SSDlite: 0.001; SSD300 has none).
    public var batchNormEps: Float

    enum CodingKeys: String, CodingKey, CaseIterable {
        case architecture, numClasses = "num_classes", size, imageMean = "image_mean", imageStd = "image_std"
        case aspectRatios = "aspect_ratios", scales, steps, clip, scoreThresh = "score_thresh", nmsThresh = "nms_thresh"
        case detectionsPerImg = "detections_per_img", topkCandidates = "topk_candidates"
        case boxCoderWeights = "box_coder_weights", widthMult = "width_mult", reducedTail = "reduced_tail"
        case batchNormEps = "batch_norm_eps"
    }

    /// torchvision 0.28's values (models/detection/ssd.py `ssd300_vgg16`, ssdlite.py `ssdlite320_mobilenet_v3_large`).
    public static func defaults(for architecture: SSDArchitecture) -> SSDConfig {
        switch architecture {
        case .ssd300VGG16:
            return SSDConfig(
                architecture: architecture, numClasses: 91, size: [300, 300],
                imageMean: [0.48235, 0.45882, 0.40784], imageStd: [1 / 255.0, 1 / 255.0, 1 / 255.0],
                aspectRatios: [[2], [2, 3], [2, 3], [2, 3], [2], [2]],
                scales: [0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05], steps: [8, 16, 32, 64, 100, 300], clip: true,
                scoreThresh: 0.01, nmsThresh: 0.45, detectionsPerImg: 200, topkCandidates: 400,
                boxCoderWeights: [10, 10, 5, 5], widthMult: 1, reducedTail: false, batchNormEps: 1e-5)
        case .ssdlite320MobileNetV3Large:
            // DefaultBoxGenerator(min_ratio=0.2, max_ratio=0.95): scales spread linearly over the six maps, then 1.
            let scales = (0..<6).map { 0.2 + (0.95 - 0.2) * Double($0) / 5.0 } + [1.0]
            return SSDConfig(
                architecture: architecture, numClasses: 91, size: [320, 320],
                imageMean: [0.5, 0.5, 0.5], imageStd: [0.5, 0.5, 0.5],
                aspectRatios: Array(repeating: [2, 3], count: 6), scales: scales, steps: nil, clip: true,
                scoreThresh: 0.001, nmsThresh: 0.55, detectionsPerImg: 300, topkCandidates: 300,
                boxCoderWeights: [10, 10, 5, 5], widthMult: 1, reducedTail: true, batchNormEps: 0.001)
        }
    }

    /// Default boxes per location of each map: 2 square ones plus 2 per extra aspect ratio.
    public var anchorsPerLocation: [Int] { aspectRatios.map { 2 + 2 * $0.count } }

    /// Checks the values a model can be built and run with, naming the first bad one.
    public func validated() throws -> SSDConfig {
        func fail(_ m: String) -> ModelError { .malformedConfig("\(architecture.rawValue): \(m)") }
        guard numClasses >= 2 else { throw fail("num_classes must be >= 2 (background + 1), got \(numClasses)") }
        guard size.count == 2, size.allSatisfy({ (32...2048).contains($0) }) else {
            throw fail("size must be [width, height] within 32...2048, got \(size)")
        }
        if architecture == .ssd300VGG16, let side = size.min(), side < SSDVGGFeatures.minimumInputSide {
            throw fail("size must be at least \(SSDVGGFeatures.minimumInputSide) on each side for VGG-16's extra stages, got \(size)")
        }
        guard imageMean.count == 3, imageStd.count == 3, imageStd.allSatisfy({ $0 > 0 && $0.isFinite }),
              imageMean.allSatisfy(\.isFinite) else {
            throw fail("image_mean and image_std need 3 finite values, std > 0")
        }
        guard aspectRatios.count == 6, aspectRatios.allSatisfy({ $0.allSatisfy { $0 > 0 && $0.isFinite } }) else {
            throw fail("aspect_ratios needs one list of positive ratios for each of the 6 feature maps")
        }
        guard scales.count == aspectRatios.count + 1, scales.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw fail("scales needs \(aspectRatios.count + 1) positive values (one per map, plus one)")
        }
        if let steps {
            guard steps.count == aspectRatios.count, steps.allSatisfy({ $0 > 0 }) else {
                throw fail("steps needs one positive value per feature map")
            }
        }
        guard (0...1).contains(scoreThresh), (0...1).contains(nmsThresh) else { throw fail("thresholds must be in [0, 1]") }
        guard detectionsPerImg >= 1, topkCandidates >= 1 else {
            throw fail("detections_per_img and topk_candidates must be >= 1")
        }
        guard boxCoderWeights.count == 4, boxCoderWeights.allSatisfy({ $0 > 0 }) else {
            throw fail("box_coder_weights needs 4 positive values")
        }
        guard widthMult > 0, widthMult <= 4 else { throw fail("width_mult must be in (0, 4]") }
        guard batchNormEps >= 0, batchNormEps.isFinite else { throw fail("batch_norm_eps must be >= 0") }
        return self
    }
}

extension SSDConfig {
    /// Decodes a (possibly partial) JSON object over the architecture's defaults: absent keys keep
    /// torchvision's values, unknown keys are an error.
    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let keys = try decoder.container(keyedBy: CodingKeys.self)
        var c = SSDConfig.defaults(for: try keys.decode(SSDArchitecture.self, forKey: .architecture))
        func read<T: Decodable>(_ key: CodingKeys, _ path: WritableKeyPath<SSDConfig, T>) throws {
            if let v = try keys.decodeIfPresent(T.self, forKey: key) { c[keyPath: path] = v }
        }
        try read(.numClasses, \.numClasses); try read(.size, \.size); try read(.imageMean, \.imageMean)
        try read(.imageStd, \.imageStd); try read(.aspectRatios, \.aspectRatios); try read(.scales, \.scales)
        if keys.contains(.steps) { c.steps = try keys.decodeNil(forKey: .steps) ? nil : keys.decode([Int].self, forKey: .steps) }
        try read(.clip, \.clip); try read(.scoreThresh, \.scoreThresh); try read(.nmsThresh, \.nmsThresh)
        try read(.detectionsPerImg, \.detectionsPerImg); try read(.topkCandidates, \.topkCandidates)
        try read(.boxCoderWeights, \.boxCoderWeights); try read(.widthMult, \.widthMult)
        try read(.reducedTail, \.reducedTail); try read(.batchNormEps, \.batchNormEps)
        self = c
    }
}
