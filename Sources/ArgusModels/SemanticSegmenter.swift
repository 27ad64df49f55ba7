import ArgusImage
import ArgusMask
import ArgusTensor

/// A model that labels every pixel (FCN, DeepLabV3, LRASPP): the semantic counterpart of `Detector`.
///
/// Implementations are immutable after loading and safe to call from many threads at once.
public protocol SemanticSegmenter: Sendable {
    var info: ModelInfo { get }
    /// Runs preprocess, forward and upsampling for one decoded image; the label map has the image's size.
    func segment(_ image: RGBImage, options: SegmentOptions) throws -> SemanticOutput
}

/// Per-request settings of a semantic model.
public struct SegmentOptions: Sendable, Equatable {
    /// Resize the shorter side to this many pixels before the network (nil: run at the image's own size).
    public var imageSize: Int?
    /// Also return per-class probabilities (softmax over classes) at the image's size.
    public var includeScores: Bool

    public init(imageSize: Int? = nil, includeScores: Bool = false) {
        self.imageSize = imageSize; self.includeScores = includeScores
    }
}

/// What a semantic model returns for one image.
public struct SemanticOutput: Sendable {
    /// Arg-max class per pixel (the first maximum on ties, as torch.argmax), original-image size.
    public var labels: LabelMap
    /// [classes, height, width] softmax probabilities when `includeScores` was asked, else nil.
    public var scores: Tensor?
    public var timings: StageTimings

    public init(labels: LabelMap, scores: Tensor?, timings: StageTimings) {
        self.labels = labels; self.scores = scores; self.timings = timings
    }
}
