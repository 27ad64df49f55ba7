import ArgusDetection
import ArgusJSON
import ArgusModels
import ArgusPipeline

/// The DeepStack / CodeProject.AI routes (Frigate, Blue Iris, Home Assistant, Agent DVR, Double Take).
enum DeepStack {
    /// Whether a path is one of theirs, so its errors take their shape.
    static func serves(_ path: String) -> Bool { path.hasPrefix("/v1/vision/") }

    /// Their error shape, with the real status.
    static func errorResponse(_ error: APIError) -> HTTPResponse {
        .json(error.status, .object([("success", .bool(false)), ("error", .string(error.message)), ("code", .number(Double(error.status)))]),
              headers: error.headers)
    }
}

extension ArgusService {
    /// POST /v1/vision/detection (the model from a `model` field, else the default detector) and
    /// POST /v1/vision/custom/<model>: multipart field `image`, form fields `min_confidence` (default 0.4),
    /// `allow_truncated` (as on /detect) and `api_key` (read by the key check).
    func deepStackDetection(_ request: HTTPRequest, model custom: String?) -> HTTPResponse {
        do {
            let body = try ImageRequestBody(request, maxImages: 1)
            let p = body.parameters
            let minConfidence = try p.double("min_confidence", in: 0...1) ?? 0.4
            let allowTruncated = try p.bool("allow_truncated") ?? false
            let deadline = try deadline(for: request, p)
            if let custom, let named = p["model"], named != custom {
                throw APIError.invalidParameter("the path names model '\(custom)' and the model field '\(named)'")
            }
            let model = try registry.detector(named: custom ?? p["model"], task: .detect)
            let options = try DetectOptions(confidence: Float(minConfidence)).validated()
            try body.checkImageCount()
            try body.checkHeaders(maxPixels: configuration.maxPixels)
            let limits = RunLimits(maxPixels: configuration.maxPixels, deadline: deadline,
                                   allowTruncated: allowTruncated)
            let metrics = self.metrics
            let (results, timings) = try scheduler.run(deadline: limits.deadline!, cancelled: request.clientGone) {
                try ImageRun.detect(body.images.map(\.bytes), model: model, options: options, limits: limits,
                                    record: metrics.recordStage)
            }
            let result = results[0]
            let predictions = DeepStackJSON.predictions(result.detections, width: result.width, height: result.height)
            return .json(200, .object([
                ("success", .bool(true)),
                ("predictions", .array(predictions)),
                ("count", .number(Double(predictions.count))),
                ("inferenceMs", .number(timings.inference.rounded())),
                ("processMs", .number(MonotonicClock.milliseconds(since: request.receivedAt).rounded())),
                ("moduleId", .string("argus")),
                ("moduleName", .string("Argus")),
                ("command", .string(custom == nil ? "detect" : "custom")),
                ("inferenceDevice", .string("CPU")),
                ("model", .string(model.info.name)),
                ("code", .number(200)),
            ]))
        } catch {
            return DeepStack.errorResponse(APIError.from(error))
        }
    }

    /// POST /v1/vision/custom/list: the served models that detect boxes, each usable as /v1/vision/custom/<name>.
    func deepStackModelList() -> HTTPResponse {
        let names = registry.models.filter { $0.detector != nil }.map { JSONValue.string($0.info.name) }
        return .json(200, .object([("success", .bool(true)), ("models", .array(names)), ("moduleId", .string("argus")),
                                   ("code", .number(200))]))
    }
}
