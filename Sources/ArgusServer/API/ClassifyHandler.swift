import ArgusJSON
import ArgusModels
import ArgusPipeline

extension ArgusService {
    /// The names accepted by /classify.
    static let classifyParameterNames: Set<String> = ["model", "top", "allow_truncated"]

    /// POST /classify: the most probable classes of each image, best first.
    func classify(_ request: HTTPRequest) throws -> HTTPResponse {
        let body = try ImageRequestBody(request, maxImages: configuration.maxImagesPerRequest)
        let p = body.parameters
        try p.requireKnown(Self.classifyParameterNames)
        let top = try p.int("top", in: 1...Int(Int32.max)) ?? ClassifyOptions.defaultTop
        let allowTruncated = try p.bool("allow_truncated") ?? false
        let deadline = try deadline(for: request, p)
        let model = try registry.classifier(named: p["model"].map { $0.trimmingSpaces() })
        guard top <= model.info.classNames.count else {
            throw APIError.invalidParameter("top must be in 1...\(model.info.classNames.count) for '\(model.info.name)', got \(top)")
        }
        try body.checkImageCount()
        try body.checkHeaders(maxPixels: configuration.maxPixels)

        let limits = RunLimits(maxPixels: configuration.maxPixels, deadline: deadline, allowTruncated: allowTruncated)
        let metrics = self.metrics
        let (results, timings) = try scheduler.run(deadline: deadline, cancelled: request.clientGone) {
            try ImageRun.classify(body.images.map(\.bytes), model: model, options: ClassifyOptions(top: top), limits: limits,
                                  record: metrics.recordStage)
        }
        let images: [JSONValue] = results.map { result in
            .object([("width", .number(Double(result.width))), ("height", .number(Double(result.height))),
                     ("orientation_applied", .number(Double(result.orientation))),
                     ("classes", ClassificationJSON.classes(result.output))])
        }
        return .json(200, .object([
            ("model", .string(model.info.name)),
            ("images", .array(images)),
            ("timing_ms", timingJSON(timings, since: request.receivedAt)),
        ]))
    }
}
