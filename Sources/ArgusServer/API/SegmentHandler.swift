import ArgusDetection
import ArgusImage
import ArgusJSON
import ArgusMask
import ArgusModels
import ArgusPipeline

extension ArgusService {
    /// POST /segment: instance masks, a semantic label map, or both merged into panoptic output
    /// (`semantic_model`); JSON, or the image with the masks drawn (`render`).
    func segment(_ request: HTTPRequest) throws -> HTTPResponse {
        let body = try ImageRequestBody(request, maxImages: configuration.maxImagesPerRequest)
        let parameters = try SegmentParameters(body.parameters)
        let deadline = try deadline(for: request, body.parameters)
        let plan = try registry.segmentPlan(parameters)
        try body.checkImageCount()
        if parameters.detect.render != nil && body.images.count > 1 {
            throw APIError.invalidParameter("render returns one image; send one image per request")
        }
        try body.checkHeaders(maxPixels: configuration.maxPixels)
        if case .semantic(let model, let options) = plan, options.includeScores {
            try checkScoreSize(body.images, classes: model.info.classNames.count)
        }

        let limits = RunLimits(maxPixels: configuration.maxPixels, deadline: deadline,
                               allowTruncated: parameters.detect.allowTruncated)
        let metrics = self.metrics
        let render = parameters.detect.render
        let proposals = parameters.detect.callerRegions
        // Encoding (RLE strings, polygons, PNGs) runs on the worker too: it is CPU work the queue should bound.
        let (entries, timings) = try scheduler.run(deadline: limits.deadline!, cancelled: request.clientGone) { () -> ([SegmentEntry], PipelineTimings) in
            var timings = PipelineTimings()
            let entries = try ImageRun.each(body.images.map(\.bytes), limits: limits, timings: &timings,
                                            record: metrics.recordStage) { index, decoded -> (SegmentEntry, StageTimings) in
                let (outcome, stages) = try SegmentPipeline.run(decoded.image, plan: plan, proposals: proposals)
                if let render {
                    var image = decoded.image
                    try SegmentationRenderer.draw(outcome, plan: plan, on: &image)
                    return (.rendered(try ArgusService.encodeRendered(image, render)), stages)
                }
                let fields = try SegmentationJSON.fields(outcome, plan: plan, width: decoded.image.width, height: decoded.image.height,
                                                         imageId: index, parameters: parameters)
                return (.json(.object([
                    ("width", .number(Double(decoded.image.width))),
                    ("height", .number(Double(decoded.image.height))),
                    ("orientation_applied", .number(Double(decoded.appliedOrientation.rawValue))),
                ] + fields)), stages)
            }
            return (entries, timings)
        }
        if let render, case .rendered(let bytes)? = entries.first {
            return ArgusService.renderedResponse(bytes, render)
        }
        var top: [(String, JSONValue)] = [("model", .string(plan.modelName))]
        if case .panoptic(_, _, let segmenter, _, _) = plan { top.append(("semantic_model", .string(segmenter.info.name))) }
        top.append(("task", .string(plan.task)))
        top.append(("images", .array(entries.compactMap { if case .json(let v) = $0 { return v }; return nil })))
        top.append(("timing_ms", timingJSON(timings, since: request.receivedAt)))
        return .json(200, .object(top))
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

/// One image of a /segment job: its JSON entry, or (with `render`) the encoded image with the masks drawn.
enum SegmentEntry {
    case json(JSONValue)
    case rendered([UInt8])
}
