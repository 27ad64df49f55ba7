import Glibc
import ArgusDetection
import ArgusImage
import ArgusONNX

/// What a model does: every model family plugs into the CLI and the server through this one protocol.
///
/// Implementations are immutable after loading and safe to call from many threads at once;
/// each call owns its activations.
public protocol Detector: Sendable {
    var info: ModelInfo { get }
    /// Runs the whole path for one decoded image: preprocess, forward, postprocess.
    /// Boxes come back in original-image pixels, sorted by score descending.
    func detect(_ image: RGBImage, options: DetectOptions) throws -> DetectionOutput
}

/// A two-stage detector that can also score the caller's region proposals instead of its own (Fast R-CNN mode).
/// Shells ask a model for this capability (`model as? any ProposalDetector`), never for its type.
public protocol ProposalDetector: Detector {
    /// `proposals` in original-image pixels; `pooling` crops them from the features (RoI Align or RoI Pool).
    func detect(_ image: RGBImage, proposals: [Box], pooling: RoIPooling, options: DetectOptions) throws -> DetectionOutput
}

/// A model that runs an ONNX graph and can time it operator by operator (`argus bench --profile`).
public protocol GraphProfiling {
    /// The graph's operators on this image's network input: median times over `runs`, shapes, convolution FLOPs.
    func profileGraph(_ image: RGBImage, options: DetectOptions, runs: Int) throws -> [OperatorTiming]
}

/// A detector whose input goes through torchvision's GeneralizedRCNNTransform: resized by its short side (the
/// R-CNNs, RetinaNet) or to a fixed square (SSD, where both limits are that size).
public protocol ShortSideResizing {
    /// The min_size and max_size used for `imgsz` (nil: the model's own).
    func resizeLimits(imageSize: Int?) -> (minSize: Int, maxSize: Int)
}

/// The task a model performs.
public enum ModelTask: String, Sendable, Codable {
    /// Boxes (`Detector`).
    case detect
    /// Boxes with instance masks (`Detector` whose detections carry `mask`).
    case segment
    /// A class for every pixel (`SemanticSegmenter`).
    case semantic
    /// Classes for the whole image (`ImageClassifier`).
    case classify
}

/// A model's reference defaults (what the reference implementation uses when nothing is given).
public struct DetectDefaults: Sendable, Codable, Equatable {
    public var confidence: Float
    public var iou: Double
    public var maxDetections: Int
    public var imageSize: Int

    public init(confidence: Float, iou: Double, maxDetections: Int, imageSize: Int) {
        self.confidence = confidence; self.iou = iou; self.maxDetections = maxDetections; self.imageSize = imageSize
    }
}

/// Describes a loaded model for listings (`GET /models`, `argus models`).
public struct ModelInfo: Sendable, Codable, Equatable {
    public var name: String
    public var family: ModelFamilyID
    public var task: ModelTask
    public var classNames: [String]
    /// The stride the input size must be a multiple of.
    public var stride: Int
    public var defaults: DetectDefaults

    public init(name: String, family: ModelFamilyID, task: ModelTask, classNames: [String], stride: Int, defaults: DetectDefaults) {
        self.name = name; self.family = family; self.task = task
        self.classNames = classNames; self.stride = stride; self.defaults = defaults
    }
}

/// Per-request settings; `nil` means the model's reference default.
public struct DetectOptions: Sendable, Equatable {
    /// Minimum score, in [0, 1].
    public var confidence: Float?
    /// NMS IoU threshold, in [0, 1].
    public var iou: Double?
    /// Most detections returned per image, >= 1.
    public var maxDetections: Int?
    /// Long side of the network input; rounded up to a multiple of the model's stride.
    public var imageSize: Int?
    /// Keep only these class ids (nil: all).
    public var classes: Set<Int>?
    /// Run NMS across classes instead of per class.
    public var agnosticNMS: Bool
    /// When the caller stops waiting: CLOCK_MONOTONIC nanoseconds (the pipeline's `MonotonicClock`). Models whose
    /// run takes many steps (R-CNN's region batches) check it between steps and throw `ModelError.deadlineExceeded`.
    public var deadline: UInt64?

    public init(confidence: Float? = nil, iou: Double? = nil, maxDetections: Int? = nil,
                imageSize: Int? = nil, classes: Set<Int>? = nil, agnosticNMS: Bool = false, deadline: UInt64? = nil) {
        self.confidence = confidence; self.iou = iou; self.maxDetections = maxDetections
        self.imageSize = imageSize; self.classes = classes; self.agnosticNMS = agnosticNMS; self.deadline = deadline
    }

    /// Throws `ModelError.deadlineExceeded` once `deadline` has passed.
    func checkDeadline() throws {
        guard let deadline else { return }
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        if UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec) >= deadline {
            throw ModelError.deadlineExceeded("the request did not finish within its deadline")
        }
    }

    /// Limits that keep one request from taking the service down.
    public static let maxImageSize = 4096
    public static let maxDetectionsLimit = 10_000

    /// Checks the ranges, naming the first bad parameter.
    public func validated() throws -> DetectOptions {
        if let c = confidence, !(c >= 0 && c <= 1) { throw ModelError.invalidOption("conf must be in [0, 1], got \(c)") }
        if let t = iou, !(t >= 0 && t <= 1) { throw ModelError.invalidOption("iou must be in [0, 1], got \(t)") }
        if let m = maxDetections, !(1...Self.maxDetectionsLimit).contains(m) {
            throw ModelError.invalidOption("max_det must be in 1...\(Self.maxDetectionsLimit), got \(m)")
        }
        if let s = imageSize, !(32...Self.maxImageSize).contains(s) {
            throw ModelError.invalidOption("imgsz must be in 32...\(Self.maxImageSize), got \(s)")
        }
        return self
    }
}

/// `DetectOptions` checked and completed: every unset value is the model's default.
public struct ResolvedDetectOptions: Sendable, Equatable {
    public var confidence: Float
    public var iou: Double
    public var maxDetections: Int
    public var imageSize: Int
    public var classes: Set<Int>?
    public var agnosticNMS: Bool
}

extension DetectOptions {
    /// Validates the ranges (as `validated()`), then fills what is unset from `defaults`.
    public func resolved(_ defaults: DetectDefaults) throws -> ResolvedDetectOptions {
        let o = try validated()
        return ResolvedDetectOptions(confidence: o.confidence ?? defaults.confidence, iou: o.iou ?? defaults.iou,
                                     maxDetections: o.maxDetections ?? defaults.maxDetections,
                                     imageSize: o.imageSize ?? defaults.imageSize, classes: o.classes,
                                     agnosticNMS: o.agnosticNMS)
    }
}

/// Time spent in each stage of one `detect` call, in milliseconds.
public struct StageTimings: Sendable, Codable, Equatable {
    public var preprocess: Double = 0
    public var inference: Double = 0
    public var postprocess: Double = 0
    public init(preprocess: Double = 0, inference: Double = 0, postprocess: Double = 0) {
        self.preprocess = preprocess; self.inference = inference; self.postprocess = postprocess
    }
}

/// What one `detect` call returns.
public struct DetectionOutput: Sendable {
    public var detections: [Detection]
    public var timings: StageTimings
    public init(detections: [Detection], timings: StageTimings) {
        self.detections = detections; self.timings = timings
    }
}

/// Failures while loading or running a model.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case invalidOption(String)
    case unsupportedCheckpoint(String)
    case malformedConfig(String)
    /// `DetectOptions.deadline` passed while the model ran.
    case deadlineExceeded(String)

    public var description: String {
        switch self {
        case .deadlineExceeded(let m): return m
        case .invalidOption(let m): return m
        case .unsupportedCheckpoint(let m): return "unsupported checkpoint: \(m)"
        case .malformedConfig(let m): return "malformed model config: \(m)"
        }
    }
}
