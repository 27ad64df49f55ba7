import ArgusImage
import ArgusTensor

/// torchvision's image classifiers (alexnet, vgg16, resnet18, resnet50, mobilenet_v3_large, mobilenet_v3_small)
/// exactly as torchvision 0.28 builds and runs them: the weights' ImageClassification preset, the network, a
/// softmax over the classes.
///
/// Reference: torchvision 0.28 `models/alexnet.py`, `vgg.py`, `resnet.py`, `mobilenetv3.py`,
/// `transforms/_presets.py` (ImageClassification), `models/_meta.py` (the ImageNet-1k names).
public struct TorchvisionClassifier: ImageClassifier {
    public let info: ModelInfo
    public let architecture: ClassificationArchitecture
    public let preset: ClassificationPreset
    let network: ClassificationNetwork

    /// Batch-norm epsilon per architecture: MobileNetV3 builds its norms with eps 0.001, ResNet with torch's 1e-5.
    static func batchNormEps(_ arch: ClassificationArchitecture) -> Float {
        arch == .mobilenetV3Large || arch == .mobilenetV3Small ? 0.001 : 1e-5
    }

    /// Loads a state dict by its torchvision key names; the architecture is read off the tensors when nil,
    /// num_classes always is. `classNames` must have num_classes entries (default: ImageNet-1k's for 1000).
    public static func load(_ weights: WeightSource, architecture: ClassificationArchitecture? = nil, name: String,
                            preset: ClassificationPreset = .imagenetV1, classNames: [String]? = nil) throws -> TorchvisionClassifier {
        let found = try ClassificationCheckpoint.architecture(weights)
        if let architecture, architecture != found {
            throw ModelError.unsupportedCheckpoint("--arch \(architecture.rawValue), but the tensors are a \(found.rawValue)")
        }
        let network = try ClassificationNetwork(StateDictReader(source: weights, eps: batchNormEps(found)), architecture: found)
        let n = network.numClasses
        let names = classNames ?? (n == ImageNetCategories.names.count ? ImageNetCategories.names : (0..<n).map { "class\($0)" })
        guard names.count == n else { throw ModelError.malformedConfig("\(names.count) class names for a checkpoint with \(n) classes") }
        let info = ModelInfo(name: name, family: .classification, task: .classify, classNames: names, stride: 1,
                             defaults: DetectDefaults(confidence: 0, iou: 0, maxDetections: ClassifyOptions.defaultTop,
                                                      imageSize: preset.cropSize))
        return TorchvisionClassifier(info: info, architecture: found, preset: try preset.validated(), network: network)
    }

    /// Everything one forward pass computes, for tests and debugging.
    public struct Trace {
        /// The preset's output [1, 3, crop, crop].
        public var input: Tensor
        /// The last Linear layer's output [1, classes].
        public var logits: Tensor
        /// softmax(logits) over the classes.
        public var probabilities: [Float]
        public var output: ClassificationOutput
    }

    /// softmax(network(x)) for a batch of preset-normalised inputs [N, 3, crop, crop]: [N, classes].
    func probabilities(batch x: Tensor) throws -> Tensor { try softmax(network(x), axis: 1) }

    public func classify(_ image: RGBImage, options: ClassifyOptions) throws -> ClassificationOutput {
        try trace(image, options: options).output
    }

    public func trace(_ image: RGBImage, options: ClassifyOptions = ClassifyOptions()) throws -> Trace {
        guard options.top >= 1, options.top <= info.classNames.count else {
            throw ModelError.invalidOption("top must be in 1...\(info.classNames.count), got \(options.top)")
        }
        var clock = Stopwatch()
        var timings = StageTimings()
        let input = try preset.input(image)
        timings.preprocess = clock.lap()
        let logits = try network(input)
        timings.inference = clock.lap()
        let probabilities = try softmax(logits, axis: 1).storage
        // Best first; the lower class id first on equal probabilities.
        let best = probabilities.indices.sorted { (probabilities[$0], -$0) > (probabilities[$1], -$1) }.prefix(options.top)
        let classes = best.map { ClassScore(classId: $0, label: info.classNames[$0], score: probabilities[$0]) }
        timings.postprocess = clock.lap()
        return Trace(input: input, logits: logits, probabilities: probabilities,
                     output: ClassificationOutput(classes: classes, timings: timings))
    }
}
