import ArgusDetection
import ArgusImage
import ArgusTensor

/// SSD (Liu et al. 2016) exactly as torchvision builds and runs it: GeneralizedRCNNTransform with a fixed size
/// -> feature extractor (six maps) -> SSDHead / SSDLiteHead -> DefaultBoxGenerator -> postprocess_detections
/// (softmax, per class: score threshold and the top-k candidates; decoded boxes clipped to the input; batched
/// NMS; the best detections_per_img) -> boxes rescaled to the original image.
///
/// Reference: torchvision 0.28 `models/detection/` (ssd.py, ssdlite.py, anchor_utils.py, transform.py, _utils.py).
public struct SSD: Detector, ShortSideResizing {
    public let info: ModelInfo
    public let config: SSDConfig
    let features: Features
    let head: SSDHead
    let defaultBoxes: DefaultBoxGenerator

    enum Features {
        case vgg(SSDVGGFeatures)
        case mobilenet(SSDLiteFeatures)

        func callAsFunction(_ x: Tensor) throws -> [Tensor] {
            switch self {
            case .vgg(let f): return try f(x)
            case .mobilenet(let f): return try f(x)
            }
        }
    }

    /// Builds the network for `config` and reads its weights by their torchvision state-dict names.
    /// `classNames` must have `config.numClasses` entries (index 0 is the background).
    public static func load(_ weights: WeightSource, config: SSDConfig, name: String, classNames: [String]? = nil) throws -> SSD {
        let c = try config.validated()
        let w = StateDictReader(source: weights, eps: c.batchNormEps)
        let features: Features, channels: [Int]
        switch c.architecture {
        case .ssd300VGG16:
            let f = try SSDVGGFeatures(w)
            features = .vgg(f); channels = f.outChannels
        case .ssdlite320MobileNetV3Large:
            let f = try SSDLiteFeatures(w, widthMult: c.widthMult, reducedTail: c.reducedTail)
            features = .mobilenet(f); channels = f.outChannels
        }
        let head = try SSDHead(w, inChannels: channels, anchorsPerLocation: c.anchorsPerLocation, numClasses: c.numClasses,
                               separable: c.architecture == .ssdlite320MobileNetV3Large)
        let names = try detectionClassNames(classNames, numClasses: c.numClasses)
        let info = ModelInfo(name: name, family: .ssd, task: .detect, classNames: names, stride: 1,
                             defaults: DetectDefaults(confidence: c.scoreThresh, iou: c.nmsThresh,
                                                      maxDetections: c.detectionsPerImg, imageSize: c.size.max()!))
        return SSD(info: info, config: c, features: features, head: head,
                   defaultBoxes: DefaultBoxGenerator(aspectRatios: c.aspectRatios, scales: c.scales, steps: c.steps, clip: c.clip))
    }

    /// Everything one forward pass computes, for tests and debugging.
    public struct Trace {
        /// The transformed batch [1, 3, H, W].
        public var input: Tensor
        public var features: [Tensor]
        /// Class logits [boxes, classes] and box deltas [boxes, 4], default-box order.
        public var logits: Tensor
        public var deltas: Tensor
        /// The default boxes in input pixels.
        public var anchors: [Box]
        /// How many boxes went into the final NMS.
        public var candidates: Int
        public var output: DetectionOutput
    }

    public func detect(_ image: RGBImage, options: DetectOptions) throws -> DetectionOutput {
        try trace(image, options: options).output
    }

    public func trace(_ image: RGBImage, options: DetectOptions = DetectOptions()) throws -> Trace {
        let options = try options.validated()
        if case .vgg = features, let size = options.imageSize, size < SSDVGGFeatures.minimumInputSide {
            throw ModelError.invalidOption("imgsz must be at least \(SSDVGGFeatures.minimumInputSide) for \(config.architecture.rawValue) "
                                           + "(its last extra stages are unpadded 3x3 convs), got \(size)")
        }
        var clock = Stopwatch()
        var timings = StageTimings()
        let input = try transformFor(options)(image)
        timings.preprocess = clock.lap()
        let maps = try features(input.batch)
        let (logits, deltas) = try head(maps)
        let anchors = defaultBoxes.boxes(gridSizes: maps.map { ($0.shape[2], $0.shape[3]) },
                                         imageSize: (input.batch.shape[2], input.batch.shape[3]))
        guard anchors.count == logits.shape[0] else {
            throw ModelError.malformedConfig("\(anchors.count) default boxes for \(logits.shape[0]) head outputs")
        }
        timings.inference = clock.lap()
        let (candidates, kept) = try postprocess(logits: logits, deltas: deltas, anchors: anchors, imageSize: input.imageSize,
                                                 options: options)
        let detections = RCNNTransform.detections(kept, from: input.imageSize, to: (image.height, image.width),
                                                  classNames: info.classNames)
        timings.postprocess = clock.lap()
        return Trace(input: input.batch, features: maps, logits: logits, deltas: deltas, anchors: anchors,
                     candidates: candidates, output: DetectionOutput(detections: detections, timings: timings))
    }

    /// A square input of `imgsz` (torchvision's transform with min_size = max_size = fixed size).
    public func resizeLimits(imageSize: Int?) -> (minSize: Int, maxSize: Int) {
        let t = transformFor(DetectOptions(imageSize: imageSize))
        return (t.minSize, t.maxSize)
    }

    /// `imgsz` sets a square input (torchvision's `size`); the default boxes follow the maps it gives.
    func transformFor(_ options: DetectOptions) -> RCNNTransform {
        let size = options.imageSize.map { ($0, $0) } ?? (config.size[1], config.size[0])
        return RCNNTransform(minSize: min(size.0, size.1), maxSize: max(size.0, size.1), mean: config.imageMean,
                             std: config.imageStd, sizeDivisible: 1, fixedSize: size)
    }

    /// postprocess_detections for one image: the candidate count and the kept detections (input pixels).
    func postprocess(logits: Tensor, deltas: Tensor, anchors: [Box], imageSize: (Int, Int),
                     options: DetectOptions) throws -> (Int, [BoxPostprocess.Candidate]) {
        let scores = try softmax(logits, axis: 1)
        let k = logits.shape[1], n = logits.shape[0]
        let threshold = options.confidence ?? config.scoreThresh
        let coder = BoxCoder(weights: config.boxCoderWeights)
        // Each class's candidates (threshold, top-k, decoded boxes) on its own, split over the engine's threads,
        // then joined in class order.
        let labelsWanted = (1..<max(k, 1)).filter { options.classes?.contains($0) ?? true }
        var perClass = [(boxes: [Box], scores: [Float])](repeating: ([], []), count: labelsWanted.count)
        scores.storage.withUnsafeBufferPointer { s in
            deltas.storage.withUnsafeBufferPointer { d in
                perClass.withUnsafeMutableBufferPointer { out in
                    EngineSplit.items(labelsWanted.count) { range in
                        var indices: [Int] = [], values: [Float] = []
                        for c in range {
                            let label = labelsWanted[c]
                            indices.removeAll(keepingCapacity: true); values.removeAll(keepingCapacity: true)
                            for i in 0..<n where s[i * k + label] > threshold {
                                indices.append(i); values.append(s[i * k + label])
                            }
                            let order = topOrderDescending(values, config.topkCandidates)
                            out[c] = (order.map {
                                coder.decode(d.baseAddress! + indices[$0] * 4, reference: anchors[indices[$0]])
                                    .clampedTo(height: imageSize.0, width: imageSize.1)
                            }, order.map { values[$0] })
                        }
                    }
                }
            }
        }
        let boxes = perClass.flatMap(\.boxes), kept = perClass.flatMap(\.scores)
        let labels = zip(labelsWanted, perClass).flatMap { label, c in [Int](repeating: label, count: c.scores.count) }
        let keep = options.agnosticNMS
            ? nms(boxes: boxes, scores: kept, iouThreshold: options.iou ?? config.nmsThresh)
            : torchvisionBatchedNMS(boxes: boxes, scores: kept, groups: labels, iouThreshold: options.iou ?? config.nmsThresh,
                                    split: EngineSplit.items)
        let limit = options.maxDetections ?? config.detectionsPerImg
        return (boxes.count, keep.prefix(limit).map { BoxPostprocess.Candidate(box: boxes[$0], score: kept[$0], label: labels[$0]) })
    }
}

/// The class names of a torchvision detector with `numClasses` outputs: the caller's, torchvision's COCO list
/// (91 entries, background first), or "class<i>".
func detectionClassNames(_ given: [String]?, numClasses: Int) throws -> [String] {
    let names = given ?? (numClasses == COCOCategories.torchvision91.count
        ? COCOCategories.torchvision91 : ["__background__"] + (1..<numClasses).map { "class\($0)" })
    guard names.count == numClasses else {
        throw ModelError.malformedConfig("\(names.count) class names for num_classes \(numClasses)")
    }
    return names
}
