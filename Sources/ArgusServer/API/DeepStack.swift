import ArgusDetection
import ArgusModels

/// The DeepStack / CodeProject.AI response shapes (Frigate, Blue Iris, Agent DVR, Double Take).
enum DeepStack {
    /// Their error shape, with the real status.
    static func errorResponse(_ error: APIError) -> HTTPResponse {
        .json(error.status, .object([("success", .bool(false)), ("error", .string(error.message)), ("code", .number(Double(error.status)))]),
              headers: error.headers)
    }

    /// Integer pixel boxes (rounded, clamped to the image), sorted by confidence descending.
    static func predictions(_ detections: [Detection], width: Int, height: Int) -> [JSONValue] {
        let order = stableOrderDescending(detections.map(\.score))
        func px(_ v: Float, _ limit: Int) -> JSONValue {
            let r = v.isFinite ? Int(v.rounded()) : 0
            return .number(Double(min(max(r, 0), limit)))
        }
        return order.map { i in
            let d = detections[i]
            return .object([
                ("label", .string(d.label)),
                ("confidence", .float(d.score)),
                ("x_min", px(d.box.x1, width)), ("y_min", px(d.box.y1, height)),
                ("x_max", px(d.box.x2, width)), ("y_max", px(d.box.y2, height)),
            ])
        }
    }
}

extension ArgusService {
    /// POST /v1/vision/detection: multipart field `image`, form field `min_confidence` (default 0.4).
    func deepStackDetection(_ request: HTTPRequest) -> HTTPResponse {
        do {
            let body = try ImageRequestBody(request, maxImages: 1)
            let p = body.parameters
            let minConfidence = try p.double("min_confidence", in: 0...1) ?? 0.4
            let model = try chooseModel(p["model"], task: .detect)
            let options = try DetectOptions(confidence: Float(minConfidence)).validated()
            try body.checkImageCount()
            try body.checkHeaders(maxPixels: configuration.maxPixels)
            let maxPixels = configuration.maxPixels, metrics = self.metrics
            let deadline = self.deadline(for: request)
            let (results, timings) = try scheduler.run(deadline: deadline) {
                try DetectionPipeline.run(body.images, model: model, options: options, maxPixels: maxPixels,
                                          keepImages: false, deadline: deadline, metrics: metrics)
            }
            let result = results[0]
            return .json(200, .object([
                ("success", .bool(true)),
                ("predictions", .array(DeepStack.predictions(result.detections, width: result.width, height: result.height))),
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
