import ArgusDetection
import ArgusImage
import ArgusModels

extension ArgusService {
    /// POST /detect: parse, pick the model, run on the scheduler, encode (JSON or a rendered image).
    func detect(_ request: HTTPRequest) throws -> HTTPResponse {
        let body = try ImageRequestBody(request, maxImages: configuration.maxImagesPerRequest)
        let parameters = try DetectParameters(body.parameters)
        let model = try chooseModel(parameters.model, task: .detect)
        if parameters.proposals != nil, !(model is FasterRCNN) {
            throw APIError.invalidParameter("proposals need a two-stage model (Faster R-CNN); '\(model.info.name)' is \(model.info.family)")
        }
        var options = parameters.options
        options.classes = try DetectParameters.resolveClasses(parameters.classesText, classNames: model.info.classNames)
        options = try options.validated()
        try body.checkImageCount()
        if parameters.render != nil && body.images.count > 1 {
            throw APIError.invalidParameter("render returns one image; send one image per request")
        }
        try body.checkHeaders(maxPixels: configuration.maxPixels)

        let maxPixels = configuration.maxPixels, metrics = self.metrics
        let deadline = self.deadline(for: request)
        let keep = parameters.render != nil
        let (results, timings) = try scheduler.run(deadline: deadline) {
            try DetectionPipeline.run(body.images, model: model, options: options, maxPixels: maxPixels,
                                      keepImages: keep, deadline: deadline, metrics: metrics,
                                      proposals: parameters.proposals.map { ($0, parameters.pooling) })
        }
        if let render = parameters.render, let first = results.first, var image = first.image {
            try DetectionRenderer.draw(first.detections, on: &image)
            let bytes = render == .png ? try encodePNG(image, compressionLevel: 3) : try encodeJPEG(image, quality: 90)
            return HTTPResponse(status: 200, headers: [("Content-Type", render == .png ? "image/png" : "image/jpeg")], body: bytes)
        }
        let total = MonotonicClock.milliseconds(since: request.receivedAt)
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
            ("timing_ms", .object([
                ("decode", .number(roundMs(timings.decode))),
                ("preprocess", .number(roundMs(timings.preprocess))),
                ("inference", .number(roundMs(timings.inference))),
                ("postprocess", .number(roundMs(timings.postprocess))),
                ("total", .number(roundMs(total))),
            ])),
        ]))
    }

    /// The detector a box route uses: the named model (404 if unknown) or the first detector loaded (with
    /// `task == .segment`, the first instance segmentation model). A semantic model is a 400 naming the route that
    /// serves it; with `task == .segment`, a detector without masks is a 400 naming the models that have them.
    func chooseModel(_ name: String?, task: ModelTask) throws -> any Detector {
        let chosen: LoadedModel
        if let name {
            guard let named = registry.model(named: name) else { throw APIError.modelNotFound(name, available: registry.names) }
            chosen = named
        } else if task == .segment, let segmenter = registry.models.first(where: { $0.info.task == .segment }) {
            chosen = segmenter
        } else if let detector = registry.models.first(where: { $0.detector != nil }) {
            chosen = detector
        } else {
            throw APIError(status: 400, code: "model_cannot_detect",
                           "none of the loaded models detects boxes (loaded: \(registry.names.joined(separator: ", "))); "
                           + "semantic segmentation models are served by POST /segment")
        }
        guard let model = chosen.detector else {
            throw APIError(status: 400, code: "model_cannot_detect",
                           "model '\(chosen.info.name)' is a semantic segmentation model (\(chosen.info.family)): it labels pixels "
                           + "and has no boxes; use POST /segment, or one of the detectors: \(detectorNames)")
        }
        if task == .segment && model.info.task != .segment {
            throw registry.cannotSegment(model.info.name)
        }
        return model
    }

    /// The loaded detectors' names, for messages.
    var detectorNames: String {
        let names = registry.models.filter { $0.detector != nil }.map(\.info.name)
        return names.isEmpty ? "none loaded" : names.joined(separator: ", ")
    }
}

/// Milliseconds rounded to microseconds for responses.
func roundMs(_ ms: Double) -> Double { (ms * 1000).rounded() / 1000 }
