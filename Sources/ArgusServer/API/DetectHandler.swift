import ArgusDetection
import ArgusImage
import ArgusJSON
import ArgusModels
import ArgusPipeline

extension ArgusService {
    /// POST /detect: parse, pick the model, run on the scheduler, encode (JSON or a rendered image).
    func detect(_ request: HTTPRequest) throws -> HTTPResponse {
        let body = try ImageRequestBody(request, maxImages: configuration.maxImagesPerRequest)
        let parameters = try DetectParameters(body.parameters)
        let deadline = try deadline(for: request, body.parameters)
        let model = try registry.detector(named: parameters.model, task: .detect)
        let options = try parameters.options(for: model)
        try body.checkImageCount()
        if parameters.render != nil && body.images.count > 1 {
            throw APIError.invalidParameter("render returns one image; send one image per request")
        }
        try body.checkHeaders(maxPixels: configuration.maxPixels)

        let limits = RunLimits(maxPixels: configuration.maxPixels, deadline: deadline,
                               allowTruncated: parameters.allowTruncated)
        let metrics = self.metrics
        let (results, timings) = try scheduler.run(deadline: limits.deadline!, cancelled: request.clientGone) {
            try ImageRun.detect(body.images.map(\.bytes), model: model, options: options, proposals: parameters.callerRegions,
                                keepImages: parameters.render != nil, limits: limits, record: metrics.recordStage)
        }
        if let render = parameters.render, let first = results.first, var image = first.image {
            try DetectionRenderer.draw(first.detections, on: &image)
            return ArgusService.renderedResponse(try ArgusService.encodeRendered(image, render), render)
        }
        let images: [JSONValue] = results.enumerated().map { index, result in
            .object([
                ("width", .number(Double(result.width))),
                ("height", .number(Double(result.height))),
                ("orientation_applied", .number(Double(result.orientation))),
                ("detections", .array(result.detections.map {
                    DetectionJSON.encode($0, imageIndex: index, width: result.width, height: result.height,
                                         parameters: parameters, classNames: model.info.classNames)
                })),
            ])
        }
        return .json(200, .object([
            ("model", .string(model.info.name)),
            ("images", .array(images)),
            ("timing_ms", timingJSON(timings, since: request.receivedAt)),
        ]))
    }

    /// A rendered preview's bytes.
    static func encodeRendered(_ image: RGBImage, _ format: RenderFormat) throws -> [UInt8] {
        format == .png ? try encodePNG(image, compressionLevel: 3) : try encodeJPEG(image, quality: 90)
    }

    /// A rendered preview as the response.
    static func renderedResponse(_ bytes: [UInt8], _ format: RenderFormat) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", format == .png ? "image/png" : "image/jpeg")], body: bytes)
    }

    /// `timing_ms`: the stage totals and the request's total so far.
    func timingJSON(_ timings: PipelineTimings, since receivedAt: UInt64) -> JSONValue {
        .object([
            ("decode", .number(roundMs(timings.decode))),
            ("preprocess", .number(roundMs(timings.preprocess))),
            ("inference", .number(roundMs(timings.inference))),
            ("postprocess", .number(roundMs(timings.postprocess))),
            ("total", .number(roundMs(MonotonicClock.milliseconds(since: receivedAt)))),
        ])
    }
}

/// Milliseconds rounded to microseconds for responses.
func roundMs(_ ms: Double) -> Double { (ms * 1000).rounded() / 1000 }
