import ArgusDetection
import ArgusImage
import ArgusModels

/// The stages timed for every image.
public enum PipelineStage: String, CaseIterable, Sendable {
    case decode, preprocess, inference, postprocess
}

/// Totals over the images of one request, in milliseconds.
public struct PipelineTimings: Sendable, Equatable {
    public var decode = 0.0, preprocess = 0.0, inference = 0.0, postprocess = 0.0
    public init() {}
}

/// What bounds one request's run: the decoder's pixel limit, a deadline on `MonotonicClock` (nil: none), and
/// whether a JPEG whose data is cut or damaged decodes anyway (`decodeImage`'s `allowTruncated`).
public struct RunLimits: Sendable {
    public var maxPixels: Int
    public var deadline: UInt64?
    public var allowTruncated: Bool
    public init(maxPixels: Int = defaultMaxPixels, deadline: UInt64? = nil, allowTruncated: Bool = false) {
        self.maxPixels = maxPixels; self.deadline = deadline; self.allowTruncated = allowTruncated
    }
}

/// One image's detections.
public struct ImageResult: Sendable {
    public var width: Int
    public var height: Int
    /// The EXIF orientation (1...8) that was applied while decoding.
    public var orientation: Int
    public var detections: [Detection]
    /// The decoded image, kept only when the response renders it.
    public var image: RGBImage?
}

/// The per-image path every request and command takes: deadline check, decode with limits, the model's work,
/// timings per stage.
public enum ImageRun {
    /// Runs `body` on each image in order. Later images are not started once the deadline has passed; an image that
    /// cannot be decoded throws `ImageFailure` (with its index when there are several). `record` sees every stage's
    /// time as it happens (the server's metrics).
    public static func each<T>(_ images: [[UInt8]], limits: RunLimits = RunLimits(), timings: inout PipelineTimings,
                               record: (PipelineStage, Double) -> Void = { _, _ in },
                               _ body: (_ index: Int, _ decoded: DecodedImage) throws -> (T, StageTimings)) throws -> [T] {
        var out: [T] = []
        out.reserveCapacity(images.count)
        for (index, bytes) in images.enumerated() {
            if let deadline = limits.deadline, MonotonicClock.now() >= deadline { throw PipelineError.deadlineExceeded() }
            let start = MonotonicClock.now()
            let decoded: DecodedImage
            do { decoded = try decodeImage(bytes, maxPixels: limits.maxPixels, allowTruncated: limits.allowTruncated) } catch {
                throw ImageFailure(index: images.count > 1 ? index : nil, underlying: error)
            }
            let decodeMs = MonotonicClock.milliseconds(since: start)
            let (result, stages) = try body(index, decoded)
            record(.decode, decodeMs)
            record(.preprocess, stages.preprocess)
            record(.inference, stages.inference)
            record(.postprocess, stages.postprocess)
            timings.decode += decodeMs
            timings.preprocess += stages.preprocess
            timings.inference += stages.inference
            timings.postprocess += stages.postprocess
            out.append(result)
        }
        return out
    }

    /// Detections for each image: the model's own proposals, or the caller's (Fast R-CNN mode).
    public static func detect(_ images: [[UInt8]], model: any Detector, options: DetectOptions,
                              proposals: CallerRegions? = nil, keepImages: Bool = false, limits: RunLimits = RunLimits(),
                              record: (PipelineStage, Double) -> Void = { _, _ in }) throws -> ([ImageResult], PipelineTimings) {
        var timings = PipelineTimings()
        var options = options
        options.deadline = limits.deadline
        let results = try each(images, limits: limits, timings: &timings, record: record) { _, decoded in
            let output = try detect(decoded.image, model: model, options: options, proposals: proposals)
            return (ImageResult(width: decoded.image.width, height: decoded.image.height,
                                orientation: decoded.appliedOrientation.rawValue, detections: output.detections,
                                image: keepImages ? decoded.image : nil), output.timings)
        }
        return (results, timings)
    }

    /// The classes of each image, with its size and the EXIF orientation applied.
    public static func classify(_ images: [[UInt8]], model: any ImageClassifier, options: ClassifyOptions,
                                limits: RunLimits = RunLimits(), record: (PipelineStage, Double) -> Void = { _, _ in })
        throws -> ([(width: Int, height: Int, orientation: Int, output: ClassificationOutput)], PipelineTimings) {
        var timings = PipelineTimings()
        let results = try each(images, limits: limits, timings: &timings, record: record) { _, decoded in
            let output = try model.classify(decoded.image, options: options)
            return ((decoded.image.width, decoded.image.height, decoded.appliedOrientation.rawValue, output), output.timings)
        }
        return (results, timings)
    }

    /// One decoded image through a detector, with the caller's proposals when given.
    public static func detect(_ image: RGBImage, model: any Detector, options: DetectOptions,
                              proposals: CallerRegions?) throws -> DetectionOutput {
        guard let proposals else { return try model.detect(image, options: options) }
        guard let twoStage = model as? any ProposalDetector else {
            throw PipelineError.proposalsNeedTwoStage(model.info)
        }
        return try twoStage.detect(image, proposals: try RegionProposals.boxes(proposals.source, image: image),
                                   pooling: proposals.pooling, options: options)
    }
}

/// Fast R-CNN mode's region proposals (the caller's, or selective search's) and how they are cropped from the features.
public struct CallerRegions: Sendable {
    public var source: ProposalSource
    public var pooling: RoIPooling
    public init(source: ProposalSource, pooling: RoIPooling) { self.source = source; self.pooling = pooling }
    public init(boxes: [Box], pooling: RoIPooling) { self.init(source: .boxes(boxes), pooling: pooling) }
}

extension DetectParameters {
    /// The caller's proposals with their pooling, when given.
    public var callerRegions: CallerRegions? { proposals.map { CallerRegions(source: $0, pooling: pooling) } }
}
