import ArgusDetection
import ArgusJSON
import ArgusModels
import ArgusPipeline

/// The DeepStack / CodeProject.AI route (Frigate, Blue Iris, Agent DVR, Double Take).
enum DeepStack {
    /// Their error shape, with the real status.
    static func errorResponse(_ error: APIError) -> HTTPResponse {
        .json(error.status, .object([("success", .bool(false)), ("error", .string(error.message)), ("code", .number(Double(error.status)))]),
              headers: error.headers)
    }
}

extension ArgusService {
    /// POST /v1/vision/detection: multipart field `image`, form fields `min_confidence` (default 0.4) and
    /// `allow_truncated` (as on /detect).
    func deepStackDetection(_ request: HTTPRequest) -> HTTPResponse {
        do {
            let body = try ImageRequestBody(request, maxImages: 1)
            let p = body.parameters
            let minConfidence = try p.double("min_confidence", in: 0...1) ?? 0.4
            let allowTruncated = try p.bool("allow_truncated") ?? false
            let model = try registry.detector(named: p["model"], task: .detect)
            let options = try DetectOptions(confidence: Float(minConfidence)).validated()
            try body.checkImageCount()
            try body.checkHeaders(maxPixels: configuration.maxPixels)
            let limits = RunLimits(maxPixels: configuration.maxPixels, deadline: deadline(for: request),
                                   allowTruncated: allowTruncated)
            let metrics = self.metrics
            let (results, timings) = try scheduler.run(deadline: limits.deadline!, cancelled: request.clientGone) {
                try ImageRun.detect(body.images.map(\.bytes), model: model, options: options, limits: limits,
                                    record: metrics.recordStage)
            }
            let result = results[0]
            return .json(200, .object([
                ("success", .bool(true)),
                ("predictions", .array(DeepStackJSON.predictions(result.detections, width: result.width, height: result.height))),
                ("inferenceMs", .number(timings.inference.rounded())),
                ("processMs", .number(MonotonicClock.milliseconds(since: request.receivedAt).rounded())),
                ("moduleId", .string("argus")),
                ("model", .string(model.info.name)),
            ]))
        } catch {
            return DeepStack.errorResponse(APIError.from(error))
        }
    }
}
