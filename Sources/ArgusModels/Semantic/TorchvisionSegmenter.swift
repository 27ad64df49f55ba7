import ArgusImage
import ArgusMask
import ArgusTensor

/// torchvision's semantic segmentation models (fcn_resnet50, deeplabv3_resnet50, deeplabv3_mobilenet_v3_large,
/// lraspp_mobilenet_v3_large) exactly as torchvision 0.28 builds and runs them: normalize, dilated backbone,
/// head, F.interpolate(bilinear, align_corners=False) to the input size, arg-max over classes.
///
/// Reference: torchvision 0.28 `models/segmentation/` (fcn.py, deeplabv3.py, lraspp.py, _utils.py),
/// `models/resnet.py`, `models/mobilenetv3.py`, `transforms/_presets.py` (SemanticSegmentation).
public struct TorchvisionSegmenter: SemanticSegmenter {
    public let info: ModelInfo
    public let config: SemanticConfig
    let network: SegmentationNetwork

    /// Loads a state dict by its torchvision key names; the architecture is inferred from the tensors when nil.
    public static func load(_ weights: WeightSource, architecture: SemanticArchitecture? = nil, name: String,
                            classNames: [String]? = nil) throws -> TorchvisionSegmenter {
        let arch = try architecture ?? SemanticCheckpoint.architecture(weights)
        return try load(weights, config: SemanticConfig(architecture: arch), name: name, classNames: classNames)
    }

    /// Loads with a manifest's settings; num_classes and width_mult are read off the tensors.
    /// `classNames` must have num_classes entries (default: torchvision's VOC names for 21 classes).
    public static func load(_ weights: WeightSource, config: SemanticConfig, name: String,
                            classNames: [String]? = nil) throws -> TorchvisionSegmenter {
        let c = try SemanticCheckpoint.fitted(config.validated(), to: weights).validated()
        let network = try SegmentationNetwork(weights, config: c)
        let names = classNames ?? (c.numClasses == VOCCategories.torchvision21.count
            ? VOCCategories.torchvision21 : ["__background__"] + (1..<c.numClasses).map { "class\($0)" })
        guard names.count == c.numClasses else {
            throw ModelError.malformedConfig("\(names.count) class names for num_classes \(c.numClasses)")
        }
        // imageSize 520: the resize_size of torchvision's SemanticSegmentation preset for these weights.
        let info = ModelInfo(name: name, family: c.architecture.family, task: .semantic, classNames: names, stride: 1,
                             defaults: DetectDefaults(confidence: 0, iou: 0, maxDetections: 0, imageSize: 520))
        return TorchvisionSegmenter(info: info, config: c, network: network)
    }

    /// Everything one forward pass computes, for tests and debugging.
    public struct Trace {
        /// The normalized network input [1, 3, H, W] (resized when `imageSize` was given).
        public var input: Tensor
        /// The head's logits [1, classes, h, w] before upsampling.
        public var head: Tensor
        /// torchvision's "out": the head upsampled to the input size [1, classes, H, W].
        public var out: Tensor
        public var output: SemanticOutput
    }

    /// Without scores the upsampling and the arg-max are fused (interpolateBilinearArgmax, bit-equal to the two
    /// steps), so no [classes, H, W] logits are held at the image's size.
    public func segment(_ image: RGBImage, options: SegmentOptions) throws -> SemanticOutput {
        if options.includeScores { return try trace(image, options: options).output }
        var (input, head, timings, clock) = try forward(image, options: options)
        let inputSize = (input.shape[2], input.shape[3]), imageSize = (image.height, image.width)
        // With a resize, torchvision's "out" is at the resized size; it then goes back to the image's size.
        let logits = inputSize == imageSize ? head : try interpolateBilinear(head, size: inputSize, alignCorners: false)
        let labels = try interpolateBilinearArgmax(logits, size: imageSize, alignCorners: false)
        timings.postprocess = clock.lap()
        return SemanticOutput(labels: LabelMap(width: image.width, height: image.height, labels: labels), scores: nil,
                              timings: timings)
    }

    /// Runs the whole model and keeps the intermediate results (the unfused path: "out" is materialised).
    public func trace(_ image: RGBImage, options: SegmentOptions = SegmentOptions()) throws -> Trace {
        var (input, head, timings, clock) = try forward(image, options: options)
        let out = try interpolateBilinear(head, size: (input.shape[2], input.shape[3]), alignCorners: false)
        // With a resize, the logits go back to the image's own size (bilinear, as torchvision users do) first.
        let full = (out.shape[2], out.shape[3]) == (image.height, image.width)
            ? out : try interpolateBilinear(out, size: (image.height, image.width), alignCorners: false)
        let labels = SemanticPostprocess.argmax(full)
        let scores = options.includeScores ? try softmax(full.reshaped(Array(full.shape.dropFirst())), axis: 0) : nil
        timings.postprocess = clock.lap()
        return Trace(input: input, head: head, out: out,
                     output: SemanticOutput(labels: labels, scores: scores, timings: timings))
    }

    /// Preprocess and network, shared by both paths: the input, the head's logits, and the timings so far (the
    /// clock keeps running for the postprocess).
    func forward(_ image: RGBImage, options: SegmentOptions) throws
        -> (input: Tensor, head: Tensor, timings: StageTimings, clock: Stopwatch) {
        var clock = Stopwatch()
        var timings = StageTimings()
        let input = try preprocess(image, imageSize: options.imageSize)
        timings.preprocess = clock.lap()
        let head = try network(input)
        timings.inference = clock.lap()
        return (input, head, timings, clock)
    }

    /// SemanticSegmentation's preset: optional short-side resize (antialiased bilinear on the 8-bit image),
    /// then x / 255, minus mean, divided by std, in Float32.
    func preprocess(_ image: RGBImage, imageSize: Int?) throws -> Tensor {
        var image = image
        if let imageSize {
            guard imageSize >= 1 else { throw ModelError.invalidOption("imgsz must be >= 1, got \(imageSize)") }
            let size = SemanticResize.resizedSize(height: image.height, width: image.width, shortSide: imageSize)
            if size != (image.height, image.width) { image = try SemanticResize.antialiasedBilinear(image, to: size) }
        }
        return Tensor(shape: [1, 3, image.height, image.width],
                      storage: toCHWFloat(image, divisor: 255, mean: config.imageMean, std: config.imageStd, split: EngineSplit.pixels))
    }
}
