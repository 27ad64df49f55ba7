import ArgusDetection
import ArgusImage
import ArgusProposals
import ArgusTensor

/// "Slow" R-CNN (Girshick et al., CVPR 2014) as the seed notes teach it, on an ImageNet classifier: selective search
/// proposals (or the caller's), each region warped with context padding to the classifier's input (`RegionWarp`),
/// the network run over the regions in batches, the softmax probability of every class as that class's score,
/// then per class: score threshold and NMS. The boxes are the regions themselves (the paper's bounding-box
/// regression needs trained regressors, which an ImageNet classifier does not have), the labels ImageNet's.
///
/// A teaching pipeline: the paper trains per-class SVMs on the network's features for its 20 or 200 classes; here
/// the classifier's own softmax scores its 1000 ImageNet classes, none of which is "background".
public struct SlowRCNN: ProposalDetector {
    public let info: ModelInfo
    public let config: SlowRCNNConfig
    public let classifier: TorchvisionClassifier

    /// Wraps a loaded classifier; its preset's crop size is the warp size.
    public static func around(_ classifier: TorchvisionClassifier, config: SlowRCNNConfig? = nil, name: String? = nil) throws -> SlowRCNN {
        let config = try (config ?? SlowRCNNConfig(classifier: ClassificationConfig(
            architecture: classifier.architecture, numClasses: classifier.info.classNames.count, preset: classifier.preset))).validated()
        guard config.classifier.architecture == classifier.architecture, config.classifier.preset == classifier.preset else {
            throw ModelError.malformedConfig("rcnn: the config's classifier (\(config.classifier.architecture.rawValue)) differs from the loaded one")
        }
        let info = ModelInfo(name: name ?? "rcnn_\(classifier.info.name)", family: .rcnn, task: .detect,
                             classNames: classifier.info.classNames, stride: 1,
                             defaults: DetectDefaults(confidence: config.scoreThresh, iou: config.nmsThresh,
                                                      maxDetections: config.detectionsPerImg, imageSize: classifier.preset.cropSize))
        return SlowRCNN(info: info, config: config, classifier: classifier)
    }

    /// Loads a classifier state dict (architecture read off the tensors) and wraps it.
    public static func load(_ weights: WeightSource, config: SlowRCNNConfig, name: String, classNames: [String]? = nil) throws -> SlowRCNN {
        let c = try config.validated()
        let classifier = try TorchvisionClassifier.load(weights, architecture: c.classifier.architecture, name: name,
                                                        preset: c.classifier.preset, classNames: classNames)
        return try around(classifier, config: c, name: name)
    }

    public var warp: RegionWarp { RegionWarp(size: classifier.preset.cropSize, padding: config.padding) }

    /// Selective search's first `maxRegions` boxes, [x, y, x + w, y + h] in OpenCV's order.
    public func proposals(_ image: RGBImage) throws -> [Box] {
        guard image.width * image.height <= SelectiveSearch.maxPixels else {
            throw ModelError.invalidOption("R-CNN runs selective search on images of at most \(SelectiveSearch.maxPixels) pixels; "
                + "this one is \(image.width)x\(image.height) (resize it first, or give proposals)")
        }
        return SelectiveSearch(mode: config.proposals).process(ChannelImage(bgr: image)).prefix(config.maxRegions).map(\.box)
    }

    public func detect(_ image: RGBImage, options: DetectOptions) throws -> DetectionOutput {
        var clock = Stopwatch()
        let regions = try proposals(image)
        let searching = clock.lap()
        try options.checkDeadline()
        var output = try trace(image, regions: regions, options: options).output
        output.timings.preprocess += searching
        return output
    }

    /// The caller's regions instead of selective search's; `pooling` does not apply (regions are warped from the image).
    public func detect(_ image: RGBImage, proposals: [Box], pooling: RoIPooling, options: DetectOptions) throws -> DetectionOutput {
        guard proposals.count <= config.maxRegions else {
            throw ModelError.invalidOption("R-CNN scores at most \(config.maxRegions) regions per image, got \(proposals.count) proposals")
        }
        return try trace(image, regions: proposals, options: options).output
    }

    /// Everything one run computes, for tests.
    public struct Trace {
        public var placements: [RegionWarp.Placement?]
        /// Softmax probabilities [regions, classes], row-major; zero rows for regions wholly outside the image.
        public var probabilities: [Float]
        public var output: DetectionOutput
    }

    public func trace(_ image: RGBImage, regions: [Box], options: DetectOptions) throws -> Trace {
        if let size = options.imageSize {
            throw ModelError.invalidOption("imgsz does not apply to R-CNN (got \(size)): every region is warped to the "
                + "classifier's \(warp.size)x\(warp.size) input")
        }
        let o = try options.resolved(info.defaults)
        var clock = Stopwatch()
        var timings = StageTimings()
        let warp = self.warp, classes = info.classNames.count, plane = 3 * warp.size * warp.size
        let placements = regions.map { warp.placement($0, imageWidth: image.width, imageHeight: image.height) }
        let inside = placements.indices.filter { placements[$0] != nil }
        var probabilities = [Float](repeating: 0, count: regions.count * classes)
        for start in stride(from: 0, to: inside.count, by: config.batchSize) {
            try options.checkDeadline()
            let batch = inside[start..<min(start + config.batchSize, inside.count)]
            let storage = [Float](unsafeUninitializedCapacity: batch.count * plane) { out, initialized in
                for (k, i) in batch.enumerated() {
                    warp.warp(image, placements[i]!, mean: classifier.preset.mean, std: classifier.preset.std,
                              into: out.baseAddress! + k * plane)
                }
                initialized = batch.count * plane
            }
            timings.preprocess += clock.lap()
            let p = try classifier.probabilities(batch: Tensor(shape: [batch.count, 3, warp.size, warp.size], storage: storage))
            for (k, i) in batch.enumerated() {
                probabilities.replaceSubrange(i * classes..<(i + 1) * classes, with: p.storage[k * classes..<(k + 1) * classes])
            }
            timings.inference += clock.lap()
        }
        // Per class: every region whose probability reaches the threshold, then NMS among that class's regions.
        var boxes: [Box] = [], scores: [Float] = [], labels: [Int] = []
        for i in inside {
            let box = regions[i].clampedTo(height: image.height, width: image.width)
            for c in 0..<classes where probabilities[i * classes + c] >= o.confidence {
                if let wanted = o.classes, !wanted.contains(c) { continue }
                boxes.append(box); scores.append(probabilities[i * classes + c]); labels.append(c)
            }
        }
        let keep = o.agnosticNMS
            ? nms(boxes: boxes, scores: scores, iouThreshold: o.iou)
            : torchvisionBatchedNMS(boxes: boxes, scores: scores, groups: labels, iouThreshold: o.iou, split: EngineSplit.items)
        let detections = keep.prefix(o.maxDetections).map {
            Detection(box: boxes[$0], score: scores[$0], classId: labels[$0], label: info.classNames[labels[$0]])
        }
        timings.postprocess = clock.lap()
        return Trace(placements: placements, probabilities: probabilities,
                     output: DetectionOutput(detections: detections, timings: timings))
    }
}

extension ProposalRect {
    /// OpenCV's rect [x, y, w, h] as the box [x, y, x + w, y + h] every detector takes.
    public var box: Box { Box(x1: Float(x), y1: Float(y), x2: Float(x + width), y2: Float(y + height)) }
}
