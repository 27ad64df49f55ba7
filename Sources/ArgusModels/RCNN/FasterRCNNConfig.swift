/// The two-stage architectures torchvision builds, by torchvision's builder names: Faster R-CNN, and Mask R-CNN
/// (Faster R-CNN plus a mask branch; torchvision's MaskRCNN class takes any of these backbones, and so does
/// `FasterRCNNConfig.maskHeadLayers`).
public enum FasterRCNNArchitecture: String, Sendable, Codable, CaseIterable {
    case mobilenetV3LargeFPN = "fasterrcnn_mobilenet_v3_large_fpn"
    case mobilenetV3Large320FPN = "fasterrcnn_mobilenet_v3_large_320_fpn"
    case resnet50FPN = "fasterrcnn_resnet50_fpn"
    case resnet50FPNv2 = "fasterrcnn_resnet50_fpn_v2"
    case maskRCNNResNet50FPN = "maskrcnn_resnet50_fpn"
    case maskRCNNResNet50FPNv2 = "maskrcnn_resnet50_fpn_v2"

    /// The backbone family the architecture is built on.
    public var backbone: BackboneKind {
        switch self {
        case .mobilenetV3LargeFPN, .mobilenetV3Large320FPN: return .mobilenetV3Large
        case .resnet50FPN, .resnet50FPNv2, .maskRCNNResNet50FPN, .maskRCNNResNet50FPNv2: return .resnet50
        }
    }

    /// Mask R-CNN builders (their defaults include the mask branch).
    public var isMaskRCNN: Bool { self == .maskRCNNResNet50FPN || self == .maskRCNNResNet50FPNv2 }

    /// v2 (Li et al., "Benchmarking Detection Transfer Learning with Vision Transformers"): batch norm in the
    /// FPN, a two-conv RPN head and a 4-conv + 1-FC box head.
    /// v2 Mask R-CNN also puts batch norm in the mask head.
    public var isV2: Bool { self == .resnet50FPNv2 || self == .maskRCNNResNet50FPNv2 }
}

/// Backbone CNNs a two-stage detector can be built on.
public enum BackboneKind: String, Sendable, Codable {
    case mobilenetV3Large = "mobilenet_v3_large"
    case resnet50
}

/// Every hyper-parameter of a torchvision Faster R-CNN, named (in JSON) as torchvision's constructors name them.
///
/// `defaults(for:)` gives the values torchvision's builders use; a manifest in `models/` may override any of them.
public struct FasterRCNNConfig: Sendable, Codable, Equatable {
    public var architecture: FasterRCNNArchitecture
    /// Classes including background (91 for torchvision's COCO models).
    public var numClasses: Int
    /// GeneralizedRCNNTransform: the shorter side is scaled to `minSize` unless the longer would exceed `maxSize`.
    public var minSize: Int
    public var maxSize: Int
    public var imageMean: [Float]
    public var imageStd: [Float]
    /// The batch is zero-padded to a multiple of this.
    public var sizeDivisible: Int
    /// AnchorGenerator: anchor sizes and aspect ratios per feature level.
    public var anchorSizes: [[Int]]
    public var aspectRatios: [[Float]]
    public var rpnPreNmsTopNTest: Int
    public var rpnPostNmsTopNTest: Int
    public var rpnNmsThresh: Double
    public var rpnScoreThresh: Float
    public var boxScoreThresh: Float
    public var boxNmsThresh: Double
    public var boxDetectionsPerImg: Int
    /// Width of the box head's fully connected layers (TwoMLPHead / FastRCNNConvFCHead).
    public var representationSize: Int
    /// MobileNetV3 width multiplier (1.0 for the published models; ignored for ResNet).
    public var widthMult: Double
    public var fpnOutChannels: Int
    /// Backbone stages fed to the FPN (torchvision's `returned_layers`): ResNet layer numbers 1-4, or
    /// MobileNetV3 stage numbers (stages end at the stride-2 blocks; the last two are 4 and 5).
    public var returnedLayers: [Int]
    /// BoxCoder weights of the box head (wx, wy, ww, wh) and of the RPN.
    public var boxCoderWeights: [Float]
    public var rpnBoxCoderWeights: [Float]
    /// MultiScaleRoIAlign output size and sampling ratio.
    public var roiOutputSize: Int
    public var samplingRatio: Int
    /// Batch-norm epsilon of the backbone (FrozenBatchNorm2d and BatchNorm2d both default to 1e-5; torchvision
    /// loads the COCO_V1 fasterrcnn_resnet50_fpn weights with 0).
    public var batchNormEps: Float
    /// Mask R-CNN's mask branch: the widths of MaskRCNNHeads' 3x3 convs (nil: no mask branch, a Faster R-CNN),
    /// their dilation, MaskRCNNPredictor's transposed-conv width and the mask RoIAlign output size.
    public var maskHeadLayers: [Int]?
    public var maskHeadDilation: Int
    public var maskPredictorDimReduced: Int
    public var maskRoiOutputSize: Int

    enum CodingKeys: String, CodingKey {
        case architecture, numClasses = "num_classes", minSize = "min_size", maxSize = "max_size"
        case imageMean = "image_mean", imageStd = "image_std", sizeDivisible = "size_divisible"
        case anchorSizes = "anchor_sizes", aspectRatios = "aspect_ratios"
        case rpnPreNmsTopNTest = "rpn_pre_nms_top_n_test", rpnPostNmsTopNTest = "rpn_post_nms_top_n_test"
        case rpnNmsThresh = "rpn_nms_thresh", rpnScoreThresh = "rpn_score_thresh"
        case boxScoreThresh = "box_score_thresh", boxNmsThresh = "box_nms_thresh"
        case boxDetectionsPerImg = "box_detections_per_img", representationSize = "representation_size"
        case widthMult = "width_mult", fpnOutChannels = "fpn_out_channels", returnedLayers = "returned_layers"
        case boxCoderWeights = "box_coder_weights", rpnBoxCoderWeights = "rpn_box_coder_weights"
        case roiOutputSize = "roi_output_size", samplingRatio = "sampling_ratio", batchNormEps = "batch_norm_eps"
        case maskHeadLayers = "mask_head_layers", maskHeadDilation = "mask_head_dilation"
        case maskPredictorDimReduced = "mask_predictor_dim_reduced", maskRoiOutputSize = "mask_roi_output_size"
    }

    /// torchvision 0.28's values for `architecture` (models/detection/faster_rcnn.py: FasterRCNN.__init__ defaults,
    /// `_fasterrcnn_mobilenet_v3_large_fpn` and `fasterrcnn_mobilenet_v3_large_320_fpn`'s `defaults` dict).
    public static func defaults(for architecture: FasterRCNNArchitecture) -> FasterRCNNConfig {
        let fpnAnchors: (sizes: [[Int]], ratios: [[Float]])
        switch architecture.backbone {
        case .resnet50:
            fpnAnchors = ([[32], [64], [128], [256], [512]], Array(repeating: [0.5, 1.0, 2.0], count: 5))
        case .mobilenetV3Large:
            fpnAnchors = (Array(repeating: [32, 64, 128, 256, 512], count: 3), Array(repeating: [0.5, 1.0, 2.0], count: 3))
        }
        var c = FasterRCNNConfig(
            architecture: architecture, numClasses: 91, minSize: 800, maxSize: 1333,
            imageMean: [0.485, 0.456, 0.406], imageStd: [0.229, 0.224, 0.225], sizeDivisible: 32,
            anchorSizes: fpnAnchors.sizes, aspectRatios: fpnAnchors.ratios,
            rpnPreNmsTopNTest: 1000, rpnPostNmsTopNTest: 1000, rpnNmsThresh: 0.7, rpnScoreThresh: 0,
            boxScoreThresh: 0.05, boxNmsThresh: 0.5, boxDetectionsPerImg: 100, representationSize: 1024,
            widthMult: 1.0, fpnOutChannels: 256, returnedLayers: [1, 2, 3, 4],
            boxCoderWeights: [10, 10, 5, 5], rpnBoxCoderWeights: [1, 1, 1, 1],
            roiOutputSize: 7, samplingRatio: 2, batchNormEps: 1e-5,
            maskHeadLayers: nil, maskHeadDilation: 1, maskPredictorDimReduced: 256, maskRoiOutputSize: 14)
        switch architecture {
        case .resnet50FPN, .resnet50FPNv2:
            break
        case .maskRCNNResNet50FPN, .maskRCNNResNet50FPNv2:
            // mask_rcnn.py MaskRCNN.__init__: MaskRCNNHeads(256, (256, 256, 256, 256), 1), MaskRCNNPredictor(256, 256, n).
            c.maskHeadLayers = [256, 256, 256, 256]
        case .mobilenetV3LargeFPN:
            c.rpnScoreThresh = 0.05
            c.returnedLayers = [4, 5]
        case .mobilenetV3Large320FPN:
            c.minSize = 320; c.maxSize = 640
            c.rpnPreNmsTopNTest = 150; c.rpnPostNmsTopNTest = 150
            c.rpnScoreThresh = 0.05
            c.returnedLayers = [4, 5]
        }
        return c
    }

    /// Checks the values a model can be built and run with, naming the first bad one.
    public func validated() throws -> FasterRCNNConfig {
        func fail(_ m: String) -> ModelError { .malformedConfig("\(architecture.rawValue): \(m)") }
        guard numClasses >= 2 else { throw fail("num_classes must be >= 2 (background + 1), got \(numClasses)") }
        guard minSize >= 1, maxSize >= 1, minSize <= 4096, maxSize <= 8192 else {
            throw fail("min_size/max_size must be in 1...4096 / 1...8192, got \(minSize)/\(maxSize)")
        }
        guard imageMean.count == 3, imageStd.count == 3, imageStd.allSatisfy({ $0 > 0 }) else {
            throw fail("image_mean and image_std need 3 values, std > 0")
        }
        guard sizeDivisible >= 1 else { throw fail("size_divisible must be >= 1") }
        guard !anchorSizes.isEmpty, anchorSizes.count == aspectRatios.count,
              anchorSizes.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 > 0 } }),
              aspectRatios.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 > 0 } }) else {
            throw fail("anchor_sizes and aspect_ratios need one non-empty list of positive values per level")
        }
        let perLocation = zip(anchorSizes, aspectRatios).map { $0.count * $1.count }
        guard Set(perLocation).count == 1 else { throw fail("every level needs the same number of anchors per location (RPNHead is shared)") }
        guard rpnPreNmsTopNTest >= 1, rpnPostNmsTopNTest >= 1, boxDetectionsPerImg >= 1 else {
            throw fail("top-n counts and box_detections_per_img must be >= 1")
        }
        guard (0...1).contains(rpnNmsThresh), (0...1).contains(boxNmsThresh),
              (0...1).contains(rpnScoreThresh), (0...1).contains(boxScoreThresh) else {
            throw fail("thresholds must be in [0, 1]")
        }
        guard representationSize >= 1, fpnOutChannels >= 1, widthMult > 0, widthMult <= 4 else {
            throw fail("representation_size and fpn_out_channels must be >= 1, width_mult in (0, 4]")
        }
        guard boxCoderWeights.count == 4, rpnBoxCoderWeights.count == 4,
              (boxCoderWeights + rpnBoxCoderWeights).allSatisfy({ $0 > 0 }) else {
            throw fail("box coder weights need 4 positive values")
        }
        guard roiOutputSize >= 1, roiOutputSize <= 64, samplingRatio >= 0 else {
            throw fail("roi_output_size must be in 1...64 and sampling_ratio >= 0")
        }
        let validLayers: ClosedRange<Int> = architecture.backbone == .resnet50 ? 1...4 : 0...5
        guard !returnedLayers.isEmpty, returnedLayers.allSatisfy(validLayers.contains),
              returnedLayers == returnedLayers.sorted(), Set(returnedLayers).count == returnedLayers.count else {
            throw fail("returned_layers must be increasing, distinct, within \(validLayers)")
        }
        // LastLevelMaxPool adds one level to the returned ones; anchors are given per level.
        guard anchorSizes.count == returnedLayers.count + 1 else {
            throw fail("\(returnedLayers.count + 1) feature levels (returned_layers + pool) need as many anchor_sizes entries, got \(anchorSizes.count)")
        }
        // 0 is legitimate: torchvision sets it for the COCO_V1 ResNet-50 FPN weights (overwrite_eps(model, 0.0)).
        guard batchNormEps >= 0, batchNormEps.isFinite else { throw fail("batch_norm_eps must be >= 0") }
        if let layers = maskHeadLayers {
            guard !layers.isEmpty, layers.count <= 16, layers.allSatisfy({ (1...4096).contains($0) }) else {
                throw fail("mask_head_layers must be 1...16 widths in 1...4096")
            }
        } else if architecture.isMaskRCNN {
            throw fail("a Mask R-CNN needs mask_head_layers")
        }
        guard (1...8).contains(maskHeadDilation), (1...4096).contains(maskPredictorDimReduced),
              (1...64).contains(maskRoiOutputSize) else {
            throw fail("mask_head_dilation must be in 1...8, mask_predictor_dim_reduced in 1...4096, mask_roi_output_size in 1...64")
        }
        return self
    }
}

extension FasterRCNNConfig {
    /// Decodes a (possibly partial) JSON object over the architecture's defaults: absent keys keep
    /// torchvision's values, unknown keys are an error (a typo must not silently fall back to a default).
    public init(from decoder: Decoder) throws {
        let keys = try decoder.container(keyedBy: CodingKeys.self)
        let architecture = try keys.decode(FasterRCNNArchitecture.self, forKey: .architecture)
        let any = try decoder.container(keyedBy: AnyKey.self)
        for key in any.allKeys where CodingKeys(stringValue: key.stringValue) == nil {
            throw DecodingError.dataCorruptedError(forKey: key, in: any,
                debugDescription: "unknown hyper-parameter '\(key.stringValue)'")
        }
        var c = FasterRCNNConfig.defaults(for: architecture)
        func read<T: Decodable>(_ key: CodingKeys, _ path: WritableKeyPath<FasterRCNNConfig, T>) throws {
            if let v = try keys.decodeIfPresent(T.self, forKey: key) { c[keyPath: path] = v }
        }
        try read(.numClasses, \.numClasses); try read(.minSize, \.minSize); try read(.maxSize, \.maxSize)
        try read(.imageMean, \.imageMean); try read(.imageStd, \.imageStd); try read(.sizeDivisible, \.sizeDivisible)
        try read(.anchorSizes, \.anchorSizes); try read(.aspectRatios, \.aspectRatios)
        try read(.rpnPreNmsTopNTest, \.rpnPreNmsTopNTest); try read(.rpnPostNmsTopNTest, \.rpnPostNmsTopNTest)
        try read(.rpnNmsThresh, \.rpnNmsThresh); try read(.rpnScoreThresh, \.rpnScoreThresh)
        try read(.boxScoreThresh, \.boxScoreThresh); try read(.boxNmsThresh, \.boxNmsThresh)
        try read(.boxDetectionsPerImg, \.boxDetectionsPerImg); try read(.representationSize, \.representationSize)
        try read(.widthMult, \.widthMult); try read(.fpnOutChannels, \.fpnOutChannels)
        try read(.returnedLayers, \.returnedLayers); try read(.boxCoderWeights, \.boxCoderWeights)
        try read(.rpnBoxCoderWeights, \.rpnBoxCoderWeights); try read(.roiOutputSize, \.roiOutputSize)
        try read(.samplingRatio, \.samplingRatio); try read(.batchNormEps, \.batchNormEps)
        if keys.contains(.maskHeadLayers) { c.maskHeadLayers = try keys.decodeNil(forKey: .maskHeadLayers) ? nil
                                                : keys.decode([Int].self, forKey: .maskHeadLayers) }
        try read(.maskHeadDilation, \.maskHeadDilation); try read(.maskPredictorDimReduced, \.maskPredictorDimReduced)
        try read(.maskRoiOutputSize, \.maskRoiOutputSize)
        self = c
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
