import ArgusDetection
import ArgusImage
import ArgusMask
import ArgusModels

extension ArgusService {
    /// POST /segment: instance masks, a semantic label map, or both merged into panoptic output
    /// (`semantic_model`); JSON, or the image with the masks drawn (`render`).
    func segment(_ request: HTTPRequest) throws -> HTTPResponse {
        let body = try ImageRequestBody(request, maxImages: configuration.maxImagesPerRequest)
        let parameters = try SegmentParameters(body.parameters)
        let plan = try registry.segmentPlan(parameters)
        try body.checkImageCount()
        if parameters.detect.render != nil && body.images.count > 1 {
            throw APIError.invalidParameter("render returns one image; send one image per request")
        }
        try body.checkHeaders(maxPixels: configuration.maxPixels)
        if case .semantic(let model, let options) = plan, options.includeScores {
            try checkScoreSize(body.images, classes: model.info.classNames.count)
        }

        let maxPixels = configuration.maxPixels, metrics = self.metrics
        let deadline = self.deadline(for: request)
        let render = parameters.detect.render
        let proposals = parameters.detect.proposals.map { ($0, parameters.detect.pooling) }
        // Encoding (RLE strings, polygons, PNGs) runs on the worker too: it is CPU work the queue should bound.
        let (payload, timings) = try scheduler.run(deadline: deadline) { () -> (SegmentPayload, PipelineTimings) in
            var timings = PipelineTimings()
            var entries: [JSONValue] = []
            for (index, upload) in body.images.enumerated() {
                if MonotonicClock.now() >= deadline { throw APIError.deadlineExceeded() }
                let start = MonotonicClock.now()
                let decoded: DecodedImage
                do { decoded = try decodeImage(upload.bytes, maxPixels: maxPixels) } catch {
                    throw APIError.from(error, imageIndex: body.images.count > 1 ? index : nil)
                }
                let decodeMs = MonotonicClock.milliseconds(since: start)
                let (outcome, stages): (SegmentOutcome, StageTimings)
                if let proposals, case .instance(let model, let options) = plan, let rcnn = model as? FasterRCNN {
                    let out = try rcnn.detect(decoded.image, proposals: proposals.0, pooling: proposals.1, options: options)
                    (outcome, stages) = (.instance(out.detections), out.timings)
                } else {
                    (outcome, stages) = try SegmentPipeline.run(decoded.image, plan: plan)
                }
                metrics.recordStage(.decode, milliseconds: decodeMs)
                metrics.recordStage(.preprocess, milliseconds: stages.preprocess)
                metrics.recordStage(.inference, milliseconds: stages.inference)
                metrics.recordStage(.postprocess, milliseconds: stages.postprocess)
                timings.decode += decodeMs
                timings.preprocess += stages.preprocess
                timings.inference += stages.inference
                timings.postprocess += stages.postprocess
                if let render {
                    var image = decoded.image
                    try SegmentationRenderer.draw(outcome, plan: plan, on: &image)
                    let bytes = render == .png ? try encodePNG(image, compressionLevel: 3) : try encodeJPEG(image, quality: 90)
                    return (.rendered(bytes, render), timings)
                }
                let fields = try SegmentationJSON.fields(outcome, plan: plan, width: decoded.image.width, height: decoded.image.height,
                                                         imageId: index, parameters: parameters)
                entries.append(.object([
                    ("width", .number(Double(decoded.image.width))),
                    ("height", .number(Double(decoded.image.height))),
                    ("orientation_applied", .number(Double(decoded.appliedOrientation.rawValue))),
                ] + fields))
            }
            return (.images(entries), timings)
        }
        switch payload {
        case .rendered(let bytes, let format):
            return HTTPResponse(status: 200, headers: [("Content-Type", format == .png ? "image/png" : "image/jpeg")], body: bytes)
        case .images(let entries):
            var top: [(String, JSONValue)] = [("model", .string(plan.modelName))]
            if case .panoptic(_, _, let segmenter, _, _) = plan { top.append(("semantic_model", .string(segmenter.info.name))) }
            top.append(("task", .string(plan.task)))
            top.append(("images", .array(entries)))
            let total = MonotonicClock.milliseconds(since: request.receivedAt)
            top.append(("timing_ms", .object([
                ("decode", .number(roundMs(timings.decode))),
                ("preprocess", .number(roundMs(timings.preprocess))),
                ("inference", .number(roundMs(timings.inference))),
                ("postprocess", .number(roundMs(timings.postprocess))),
                ("total", .number(roundMs(total))),
            ])))
            return .json(200, .object(top))
        }
    }

    /// 413 when per-class score maps would exceed `maxScoreMapBytes` (one byte per class and pixel, over the request).
    func checkScoreSize(_ images: [UploadedImage], classes: Int) throws {
        var total = 0
        for image in images {
            let header = try readImageHeader(image.bytes)
            total += header.width * header.height * classes
        }
        if total > configuration.maxScoreMapBytes {
            throw APIError(status: 413, code: "scores_too_large",
                           "scores=true would return \(classes) maps for \(total / max(1, classes)) pixels (\(total) bytes before PNG), "
                           + "over the limit of \(configuration.maxScoreMapBytes); send smaller images or fewer per request")
        }
    }
}

/// What a /segment job hands back: JSON image entries, or one rendered image.
enum SegmentPayload {
    case images([JSONValue])
    case rendered([UInt8], RenderFormat)
}
