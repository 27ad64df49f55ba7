import ArgusDetection
import ArgusImage
import ArgusModels

/// One image's outcome.
struct ImageResult {
    var width: Int
    var height: Int
    /// The EXIF orientation (1...8) that was applied while decoding.
    var orientation: Int
    var detections: [Detection]
    /// The decoded image, kept only when the response renders it.
    var image: RGBImage?
}

/// Per-request totals over all images, in milliseconds.
struct PipelineTimings {
    var decode = 0.0, preprocess = 0.0, inference = 0.0, postprocess = 0.0
}

/// Decode -> detect for each image of a request; runs on an inference worker.
enum DetectionPipeline {
    static func run(_ images: [UploadedImage], model: any Detector, options: DetectOptions, maxPixels: Int,
                    keepImages: Bool, deadline: UInt64, metrics: Metrics,
                    proposals: (boxes: [Box], pooling: RoIPooling)? = nil) throws -> ([ImageResult], PipelineTimings) {
        var results: [ImageResult] = []
        var timings = PipelineTimings()
        for (index, upload) in images.enumerated() {
            // Later images of a request are not started once its deadline has passed.
            if MonotonicClock.now() >= deadline { throw APIError.deadlineExceeded() }
            let start = MonotonicClock.now()
            let decoded: DecodedImage
            do { decoded = try decodeImage(upload.bytes, maxPixels: maxPixels) } catch {
                throw APIError.from(error, imageIndex: images.count > 1 ? index : nil)
            }
            let decodeMs = MonotonicClock.milliseconds(since: start)
            let output: DetectionOutput
            if let proposals, let rcnn = model as? FasterRCNN {
                output = try rcnn.detect(decoded.image, proposals: proposals.boxes, pooling: proposals.pooling, options: options)
            } else {
                output = try model.detect(decoded.image, options: options)
            }
            metrics.recordStage(.decode, milliseconds: decodeMs)
            metrics.recordStage(.preprocess, milliseconds: output.timings.preprocess)
            metrics.recordStage(.inference, milliseconds: output.timings.inference)
            metrics.recordStage(.postprocess, milliseconds: output.timings.postprocess)
            timings.decode += decodeMs
            timings.preprocess += output.timings.preprocess
            timings.inference += output.timings.inference
            timings.postprocess += output.timings.postprocess
            results.append(ImageResult(width: decoded.image.width, height: decoded.image.height,
                                       orientation: decoded.appliedOrientation.rawValue,
                                       detections: output.detections, image: keepImages ? decoded.image : nil))
        }
        return (results, timings)
    }
}
