#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgusDetection
import ArgusImage
import ArgusTensor

/// RetinaNet (Lin et al. 2017, "Focal Loss for Dense Object Detection") exactly as torchvision builds and runs
/// it: GeneralizedRCNNTransform -> ResNet-50 (C3-C5) -> FPN with P6/P7 -> RetinaNetHead on every level ->
/// postprocess_detections (per level: sigmoid scores over the score threshold, the top-k candidates, their
/// anchors' boxes decoded and clipped; then batched NMS over all levels and the best detections_per_img) ->
/// boxes rescaled to the original image.
///
/// Reference: torchvision 0.28 `models/detection/` (retinanet.py, anchor_utils.py, transform.py, _utils.py) and
/// `ops/feature_pyramid_network.py` (LastLevelP6P7).
public struct RetinaNet: Detector, ShortSideResizing {
    public let info: ModelInfo
    public let config: RetinaNetConfig
    let transform: RCNNTransform
    let backbone: ResNetBackbone
    let fpn: FeaturePyramidNetwork
    let head: RetinaNetHead
    let anchors: AnchorGenerator

    /// Builds the network for `config` and reads its weights by their torchvision state-dict names.
    public static func load(_ weights: WeightSource, config: RetinaNetConfig, name: String,
                            classNames: [String]? = nil) throws -> RetinaNet {
        let c = try config.validated()
        let w = StateDictReader(source: weights, eps: c.batchNormEps)
        let backbone = try ResNetBackbone(w, prefix: "backbone.body", returnedLayers: [2, 3, 4])
        let fpn = try FeaturePyramidNetwork(w, prefix: "backbone.fpn", inChannels: backbone.returnChannels,
                                            outChannels: c.fpnOutChannels, normalized: false,
                                            extraBlock: .p6p7(fromP5: !c.architecture.isV2))
        let names = try detectionClassNames(classNames, numClasses: c.numClasses)
        let info = ModelInfo(name: name, family: .retinanet, task: .detect, classNames: names, stride: c.sizeDivisible,
                             defaults: DetectDefaults(confidence: c.scoreThresh, iou: c.nmsThresh,
                                                      maxDetections: c.detectionsPerImg, imageSize: c.minSize))
        return RetinaNet(info: info, config: c,
                         transform: RCNNTransform(minSize: c.minSize, maxSize: c.maxSize, mean: c.imageMean,
                                                  std: c.imageStd, sizeDivisible: c.sizeDivisible),
                         backbone: backbone, fpn: fpn, head: try RetinaNetHead(w, config: c),
                         anchors: AnchorGenerator(sizes: c.anchorSizes, aspectRatios: c.aspectRatios))
    }

    /// Everything one forward pass computes, for tests and debugging.
    public struct Trace {
        /// The transformed batch [1, 3, H, W] (padded) and the resized, unpadded (height, width).
        public var input: Tensor
        public var imageSize: (Int, Int)
        /// P3-P7.
        public var features: [Tensor]
        /// Per level: logits [1, A * K, H, W] and deltas [1, A * 4, H, W].
        public var headOutputs: [(logits: Tensor, deltas: Tensor)]
        /// How many boxes went into the final NMS.
        public var candidates: Int
        public var output: DetectionOutput
    }

    public func detect(_ image: RGBImage, options: DetectOptions) throws -> DetectionOutput {
        try trace(image, options: options).output
    }

    public func trace(_ image: RGBImage, options: DetectOptions = DetectOptions()) throws -> Trace {
        let options = try options.validated()
        var clock = Stopwatch()
        var timings = StageTimings()
        let input = try transformFor(options)(image)
        timings.preprocess = clock.lap()
        let features = try fpn(backbone(input.batch))
        let outputs = try features.map { try head($0) }
        timings.inference = clock.lap()
        let paddedSize = (input.batch.shape[2], input.batch.shape[3])
        let (candidates, kept) = postprocess(outputs, paddedSize: paddedSize, imageSize: input.imageSize, options: options)
        let detections = RCNNTransform.detections(kept, from: input.imageSize, to: (image.height, image.width),
                                                  classNames: info.classNames)
        timings.postprocess = clock.lap()
        return Trace(input: input.batch, imageSize: input.imageSize, features: features, headOutputs: outputs,
                     candidates: candidates, output: DetectionOutput(detections: detections, timings: timings))
    }

    /// The resize torchvision would be given for `imgsz`: min_size, and max_size scaled by the same factor.
    public func resizeLimits(imageSize: Int?) -> (minSize: Int, maxSize: Int) {
        let t = transformFor(DetectOptions(imageSize: imageSize))
        return (t.minSize, t.maxSize)
    }

    /// `imgsz` sets the short side (torchvision's min_size); the long-side cap scales with it.
    func transformFor(_ options: DetectOptions) -> RCNNTransform { transform.scaled(shortSide: options.imageSize) }

    /// Every anchor in the order the head's outputs are flattened: levels, then (y, x, anchor).
    func anchors(gridSizes: [(Int, Int)], paddedSize: (Int, Int)) -> [Box] {
        gridSizes.enumerated().flatMap { level, grid in
            (0..<(grid.0 * grid.1 * anchors.anchorsPerLocation)).map {
                anchors.anchor(level: level, index: $0, gridWidth: grid.1, stride: (paddedSize.0 / grid.0, paddedSize.1 / grid.1))
            }
        }
    }

    /// postprocess_detections for one image: the candidate count and the kept detections (resized-image pixels).
    func postprocess(_ outputs: [(logits: Tensor, deltas: Tensor)], paddedSize: (Int, Int), imageSize: (Int, Int),
                     options: DetectOptions) -> (Int, [BoxPostprocess.Candidate]) {
        let threshold = options.confidence ?? config.scoreThresh
        // sigmoid(x) > t needs x above logit(t); rounding of the sigmoid is settled by testing the score itself,
        // so only logits clearly below that bound are skipped.
        let logitBound = threshold > 0 && threshold < 1 ? Float(log(Double(threshold) / (1 - Double(threshold)))) - 1e-3 : -.infinity
        let k = config.numClasses, a = head.anchorsPerLocation
        let coder = BoxCoder(weights: config.boxCoderWeights)
        var boxes: [Box] = [], scores: [Float] = [], labels: [Int] = []
        for (level, output) in outputs.enumerated() {
            let (gh, gw) = (output.logits.shape[2], output.logits.shape[3])
            let plane = gh * gw
            let stride = (y: paddedSize.0 / gh, x: paddedSize.1 / gw)
            // Flat index ((y * W + x) * A + a) * K + k, as torchvision's permute(0, 3, 4, 1, 2).flatten() orders it.
            var flat: [Int] = [], values: [Float] = []
            output.logits.storage.withUnsafeBufferPointer { l in
                for p in 0..<plane {
                    for ch in 0..<(a * k) {
                        let x = l[ch * plane + p]
                        guard x > logitBound else { continue }
                        let label = ch % k
                        if let classes = options.classes, !classes.contains(label) { continue }
                        let s = logistic(x)
                        guard s > threshold else { continue }
                        flat.append(p * a * k + ch); values.append(s)
                    }
                }
            }
            output.deltas.storage.withUnsafeBufferPointer { d in
                var code = [Float](repeating: 0, count: 4)
                for j in topIndices(values, min(config.topkCandidates, values.count)) {
                    let anchorIndex = flat[j] / k, p = anchorIndex / a, anchorSlot = anchorIndex % a
                    for c in 0..<4 { code[c] = d[(anchorSlot * 4 + c) * plane + p] }
                    let anchor = anchors.anchor(level: level, index: anchorIndex, gridWidth: gw, stride: stride)
                    let box = code.withUnsafeBufferPointer { coder.decode($0.baseAddress!, reference: anchor) }
                    boxes.append(box.clampedTo(height: imageSize.0, width: imageSize.1))
                    scores.append(values[j]); labels.append(flat[j] % k)
                }
            }
        }
        let iou = options.iou ?? config.nmsThresh
        let keep = options.agnosticNMS
            ? nms(boxes: boxes, scores: scores, iouThreshold: iou)
            : torchvisionBatchedNMS(boxes: boxes, scores: scores, groups: labels, iouThreshold: iou, split: EngineSplit.items)
        let limit = options.maxDetections ?? config.detectionsPerImg
        return (boxes.count, keep.prefix(limit).map { BoxPostprocess.Candidate(box: boxes[$0], score: scores[$0], label: labels[$0]) })
    }
}
