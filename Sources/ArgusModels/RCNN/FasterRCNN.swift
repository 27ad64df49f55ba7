import ArgusDetection
import ArgusImage
import ArgusTensor

/// Faster R-CNN (Ren et al. 2015) with an FPN, exactly as torchvision builds and runs it:
/// GeneralizedRCNNTransform -> backbone -> FPN -> RPN -> MultiScaleRoIAlign -> box head -> postprocess ->
/// boxes rescaled to the original image. With a mask branch it is Mask R-CNN (He et al. 2017): the final
/// boxes are pooled again (14x14) through the mask head, and each detection's 28x28 mask of its own class is
/// pasted into the original image.
///
/// Reference: torchvision 0.28 `models/detection/` (faster_rcnn.py, generalized_rcnn.py, transform.py, rpn.py,
/// roi_heads.py, anchor_utils.py, _utils.py) and `ops/` (poolers.py, feature_pyramid_network.py, boxes.py).
public struct FasterRCNN: ProposalDetector, ShortSideResizing {
    public let info: ModelInfo
    public let config: FasterRCNNConfig
    let transform: RCNNTransform
    let backbone: Backbone
    let fpn: FeaturePyramidNetwork
    let rpn: RegionProposalNetwork
    let pooler: MultiScaleRoIAlign
    let boxHead: RoIBoxHead
    let maskPooler: MultiScaleRoIAlign
    let maskHead: RoIMaskHead?

    enum Backbone {
        case mobilenet(MobileNetV3Backbone)
        case resnet(ResNetBackbone)

        func callAsFunction(_ x: Tensor) throws -> [Tensor] {
            switch self {
            case .mobilenet(let m): return try m(x)
            case .resnet(let r): return try r(x)
            }
        }
    }

    /// Builds the network for `config` and reads its weights by their torchvision state-dict names.
    /// `classNames` must have `config.numClasses` entries (index 0 is the background).
    public static func load(_ weights: WeightSource, config: FasterRCNNConfig, name: String,
                            classNames: [String]? = nil) throws -> FasterRCNN {
        let c = try config.validated()
        let w = StateDictReader(source: weights, eps: c.batchNormEps)
        let backbone: Backbone, inChannels: [Int]
        switch c.architecture.backbone {
        case .mobilenetV3Large:
            let m = try MobileNetV3Backbone(w, prefix: "backbone.body", widthMult: c.widthMult, returnedLayers: c.returnedLayers)
            backbone = .mobilenet(m); inChannels = m.returnChannels
        case .resnet50:
            let r = try ResNetBackbone(w, prefix: "backbone.body", returnedLayers: c.returnedLayers)
            backbone = .resnet(r); inChannels = r.returnChannels
        }
        let fpn = try FeaturePyramidNetwork(w, prefix: "backbone.fpn", inChannels: inChannels,
                                            outChannels: c.fpnOutChannels, normalized: c.architecture.isV2)
        let names = try detectionClassNames(classNames, numClasses: c.numClasses)
        let maskHead = try c.maskHeadLayers.map { try RoIMaskHead(w, config: c, layers: $0) }
        let info = ModelInfo(name: name, family: maskHead == nil ? .fasterRCNN : .maskRCNN,
                             task: maskHead == nil ? .detect : .segment, classNames: names, stride: c.sizeDivisible,
                             defaults: DetectDefaults(confidence: c.boxScoreThresh, iou: c.boxNmsThresh,
                                                      maxDetections: c.boxDetectionsPerImg, imageSize: c.minSize))
        return FasterRCNN(
            info: info, config: c,
            transform: RCNNTransform(minSize: c.minSize, maxSize: c.maxSize, mean: c.imageMean, std: c.imageStd,
                                     sizeDivisible: c.sizeDivisible),
            backbone: backbone, fpn: fpn, rpn: try RegionProposalNetwork(w, config: c),
            pooler: MultiScaleRoIAlign(outputSize: c.roiOutputSize, samplingRatio: c.samplingRatio),
            boxHead: try RoIBoxHead(w, config: c),
            maskPooler: MultiScaleRoIAlign(outputSize: c.maskRoiOutputSize, samplingRatio: c.samplingRatio),
            maskHead: maskHead)
    }

    /// Everything one forward pass computes, for tests and debugging.
    public struct Trace {
        /// The transformed batch [1, 3, H, W] (padded) and the resized, unpadded (height, width).
        public var input: Tensor
        public var imageSize: (Int, Int)
        /// FPN outputs, finest first, then "pool".
        public var features: [Tensor]
        /// RPN proposals in the resized image's pixels, best first, and their objectness probabilities.
        public var proposals: [Box]
        public var proposalScores: [Float]
        /// Mask R-CNN: [detections, 28, 28] mask logits of each detection's own class (before the sigmoid).
        public var maskLogits: Tensor?
        public var output: DetectionOutput
    }

    public func detect(_ image: RGBImage, options: DetectOptions) throws -> DetectionOutput {
        try trace(image, options: options).output
    }

    /// Runs the whole model and keeps the intermediate results.
    public func trace(_ image: RGBImage, options: DetectOptions = DetectOptions()) throws -> Trace {
        let options = try options.validated()
        var clock = Stopwatch()
        var timings = StageTimings()
        let input = try transformFor(options)(image)
        timings.preprocess = clock.lap()
        let features = try fpn(backbone(input.batch))
        let paddedSize = (input.batch.shape[2], input.batch.shape[3])
        let (proposals, scores) = try rpn(features, paddedSize: paddedSize, imageSize: input.imageSize)
        let candidates = try boxStage(features: features, proposals: proposals, imageSize: input.imageSize,
                                      pooling: .align, options: options)
        let maskLogits = try maskStage(features: features, candidates: candidates, imageSize: input.imageSize)
        timings.inference = clock.lap()
        var detections = RCNNTransform.detections(candidates, from: input.imageSize, to: (image.height, image.width),
                                                  classNames: info.classNames)
        if let maskLogits { try pasteMasks(maskLogits, into: &detections, imageSize: (image.height, image.width)) }
        timings.postprocess = clock.lap()
        return Trace(input: input.batch, imageSize: input.imageSize, features: features, proposals: proposals,
                     proposalScores: scores, maskLogits: maskLogits,
                     output: DetectionOutput(detections: detections, timings: timings))
    }

    /// Fast R-CNN (Girshick 2015): the caller's proposals (original-image pixels, x1 y1 x2 y2) skip the RPN and
    /// go straight to RoI pooling and the box head.
    public func detect(_ image: RGBImage, proposals: [Box], pooling: RoIPooling,
                       options: DetectOptions = DetectOptions()) throws -> DetectionOutput {
        let options = try options.validated()
        let proposals = try CallerProposals.validated(proposals)
        var clock = Stopwatch()
        var timings = StageTimings()
        let input = try transformFor(options)(image)
        // Proposals go through the same resize as the image (torchvision's resize_boxes).
        let ry = Float(input.imageSize.0) / Float(image.height), rx = Float(input.imageSize.1) / Float(image.width)
        let scaled = proposals.map { Box(x1: $0.x1 * rx, y1: $0.y1 * ry, x2: $0.x2 * rx, y2: $0.y2 * ry) }
        timings.preprocess = clock.lap()
        let features = try fpn(backbone(input.batch))
        let candidates = try boxStage(features: features, proposals: scaled, imageSize: input.imageSize,
                                      pooling: pooling, options: options)
        let maskLogits = try maskStage(features: features, candidates: candidates, imageSize: input.imageSize)
        timings.inference = clock.lap()
        var detections = RCNNTransform.detections(candidates, from: input.imageSize, to: (image.height, image.width),
                                                  classNames: info.classNames)
        if let maskLogits { try pasteMasks(maskLogits, into: &detections, imageSize: (image.height, image.width)) }
        timings.postprocess = clock.lap()
        return DetectionOutput(detections: detections, timings: timings)
    }

    /// The resize torchvision would be given for `imgsz`: min_size, and max_size scaled by the same factor.
    public func resizeLimits(imageSize: Int?) -> (minSize: Int, maxSize: Int) {
        let t = transformFor(DetectOptions(imageSize: imageSize))
        return (t.minSize, t.maxSize)
    }

    /// `imgsz` sets the short side (torchvision's min_size); the long-side cap scales with it.
    func transformFor(_ options: DetectOptions) -> RCNNTransform { transform.scaled(shortSide: options.imageSize) }

    func boxStage(features: [Tensor], proposals: [Box], imageSize: (Int, Int), pooling: RoIPooling,
                  options: DetectOptions) throws -> [BoxPostprocess.Candidate] {
        guard !proposals.isEmpty else { return [] }
        // MultiScaleRoIAlign pools from the FPN levels named "0".."3" only (not "pool").
        let pooled = try pooler(Array(features.dropLast()), boxes: proposals, imageSize: imageSize, mode: pooling)
        let (logits, deltas) = try boxHead(pooled)
        let post = BoxPostprocess(coder: BoxCoder(weights: config.boxCoderWeights),
                                  scoreThresh: options.confidence ?? config.boxScoreThresh,
                                  nmsThresh: options.iou ?? config.boxNmsThresh,
                                  maxDetections: options.maxDetections ?? config.boxDetectionsPerImg,
                                  classes: options.classes, agnostic: options.agnosticNMS)
        return try post(logits: logits, deltas: deltas, proposals: proposals, imageSize: imageSize)
    }

    /// Mask R-CNN's mask branch on the final boxes (resized-image pixels): [K, 28, 28] logits of each box's
    /// class, or nil without a mask head.
    func maskStage(features: [Tensor], candidates: [BoxPostprocess.Candidate], imageSize: (Int, Int)) throws -> Tensor? {
        guard let maskHead else { return nil }
        guard !candidates.isEmpty else { return Tensor(zeros: [0, 2 * maskPooler.outputSize, 2 * maskPooler.outputSize]) }
        let pooled = try maskPooler(Array(features.dropLast()), boxes: candidates.map(\.box), imageSize: imageSize)
        return try maskHead(pooled, labels: candidates.map(\.label))
    }

    /// Sigmoid, paste into the original image under each (rescaled) box, threshold at 0.5 (torchvision's
    /// maskrcnn_inference + paste_masks_in_image, and the `> 0.5` its users apply).
    func pasteMasks(_ logits: Tensor, into detections: inout [Detection], imageSize: (Int, Int)) throws {
        let probabilities = sigmoid(logits)
        let m = logits.shape.count == 3 ? logits.shape[2] : 0
        let paste = MaskPaste(imageHeight: imageSize.0, imageWidth: imageSize.1)
        try probabilities.storage.withUnsafeBufferPointer { p in
            for i in detections.indices {
                let map = UnsafeBufferPointer(rebasing: p[(i * m * m)..<((i + 1) * m * m)])
                detections[i].mask = paste.mask(try paste.paste(map, size: m, box: detections[i].box))
            }
        }
    }
}

/// How RoI features are cropped from a feature map.
public enum RoIPooling: String, Sendable, CaseIterable {
    /// torchvision.ops.roi_align (bilinear samples, aligned=False as Faster R-CNN uses it).
    case align
    /// torchvision.ops.roi_pool (max over quantized bins, as in Fast R-CNN).
    case pool
}
