import ArgusImage

/// A model that names what an image shows (AlexNet, VGG, ResNet, MobileNetV3 on ImageNet): the classification
/// counterpart of `Detector` and `SemanticSegmenter`.
///
/// Implementations are immutable after loading and safe to call from many threads at once.
public protocol ImageClassifier: Sendable {
    var info: ModelInfo { get }
    /// Runs the weights' preset, the network and the softmax for one decoded image.
    func classify(_ image: RGBImage, options: ClassifyOptions) throws -> ClassificationOutput
}

/// Per-request settings of a classifier.
public struct ClassifyOptions: Sendable, Equatable {
    /// How many classes to return, best first (1 ... the model's class count).
    public var top: Int

    public static let defaultTop = 5

    public init(top: Int = ClassifyOptions.defaultTop) { self.top = top }
}

/// One class of a classification result.
public struct ClassScore: Sendable, Equatable {
    public var classId: Int
    public var label: String
    /// The softmax probability over all classes.
    public var score: Float

    public init(classId: Int, label: String, score: Float) {
        self.classId = classId; self.label = label; self.score = score
    }
}

/// What a classifier returns for one image.
public struct ClassificationOutput: Sendable {
    /// The `top` most probable classes, best first (the lower class id first on equal scores).
    public var classes: [ClassScore]
    public var timings: StageTimings

    public init(classes: [ClassScore], timings: StageTimings) {
        self.classes = classes; self.timings = timings
    }
}
