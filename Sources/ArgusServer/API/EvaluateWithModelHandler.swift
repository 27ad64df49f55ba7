import ArgusEval
import ArgusImage
import ArgusModels
import ArgusPipeline
import Foundation

extension ArgusService {
    /// POST /evaluate with `ground_truth` (or `gt`) and uploaded `image` files: runs the model (`model`,
    /// default the server's default model) over the images at eval thresholds (conf 0.001, iou 0.6,
    /// max_det 300 unless `conf`/`iou`/`max_det` say otherwise), then evaluates like the results path.
    ///
    /// Each image part's filename is matched to the ground truth's `file_name` (basename), else to a
    /// numeric image id; a file matching no image is a 400. Ground-truth images without a file are left
    /// out of the evaluation and named in `inference.warnings`. Detection and evaluation run as one job
    /// on the inference scheduler, within the request deadline.
    func evaluateWithModel(_ request: HTTPRequest, images: [MultipartPart], documents: [String: [UInt8]],
                           parameters: Parameters) throws -> HTTPResponse {
        try parameters.requireKnown(EvaluateSettings.names.union(EvaluateSettings.modelNames))
        let deadline = try deadline(for: request, parameters)
        guard let gtBytes = documents["ground_truth"] else {
            throw APIError.badRequest("/evaluate with images needs 'ground_truth' (a COCO annotations document)")
        }
        if documents["results"] != nil {
            throw APIError.badRequest("send either 'results' or 'image' files to run a model on, not both")
        }
        let segm = (try parameters.choice("iou_type", EvaluateSettings.IoUKind.self)) == .segm
        let policy: ValidationPolicy = (try parameters.choice("policy", EvaluateSettings.Policy.self) ?? .strict) == .strict ? .strict : .pycocotools
        let voc = try parameters.bool("voc") ?? true
        let curves = try parameters.bool("curves") ?? false
        // iou_type=segm needs masks: by default the first instance segmentation model, and a box model is a 400.
        let model = try registry.detector(named: parameters["model"].map { $0.trimmingSpaces() }, task: segm ? .segment : .detect)
        let (options, settings) = try DatasetEvaluation.options(
            for: model,
            confidence: try parameters.double("conf", in: 0...1).map(Float.init),
            iou: try parameters.double("iou", in: 0...1),
            maxDetections: try parameters.int("max_det", in: 1...DetectOptions.maxDetectionsLimit),
            imageSize: try parameters.int("imgsz", in: 32...DetectOptions.maxImageSize))

        if images.count > configuration.maxImagesPerRequest {
            throw APIError(status: 413, code: "too_many_images",
                           "\(images.count) images in one request, over the limit of \(configuration.maxImagesPerRequest)")
        }
        var files: [String: [UInt8]] = [:], order: [String] = []
        for (index, part) in images.enumerated() {
            guard let name = part.filename.map(DatasetEvaluation.basename), !name.isEmpty else {
                throw APIError.badRequest("image part \(index) has no filename; the filename is matched to the ground truth's file_name")
            }
            if part.data.isEmpty { throw APIError.badRequest("image '\(name)' is empty") }
            if files[name] != nil { throw APIError.badRequest("two image parts are named '\(name)'") }
            do {
                let header = try readImageHeader(part.data)
                if header.storedWidth * header.storedHeight > configuration.maxPixels {
                    throw ImageError.tooLarge(width: header.width, height: header.height, limit: configuration.maxPixels)
                }
            } catch {
                let api = APIError.from(error)
                throw APIError(status: api.status, code: api.code, "image '\(name)': \(api.message)")
            }
            files[name] = part.data
            order.append(name)
        }

        let maxPixels = configuration.maxPixels
        let paramBytes = documents["params"]
        let text: String = try scheduler.run(deadline: deadline, cancelled: request.clientGone) {
            do {
                let gt = try COCODataset(json: Data(gtBytes))
                let match = DatasetEvaluation.match(files: order, images: DatasetEvaluation.groundTruthImages(gt))
                if let file = match.unmatchedFiles.first {
                    throw APIError.badRequest("image '\(file)' matches no image of the ground truth (by file_name, or a numeric name equal to the image id)")
                }
                if let file = match.duplicateFiles.first {
                    throw APIError.badRequest("image '\(file)' matches the same ground-truth image as another uploaded file")
                }
                let mapping = DatasetEvaluation.categoryIds(classNames: model.info.classNames, categories: gt.categories)
                var params = try paramBytes.map { try EvalParams(json: Data($0)) } ?? EvalParams()
                let ids = params.imageIds.map { $0.filter(Set(match.imageIds).contains) } ?? match.imageIds
                params.imageIds = ids
                let results = try DatasetEvaluation.detect(match.matched, load: { files[$0]! }, model: model, options: options,
                                                           categoryIds: mapping.ids, maxPixels: maxPixels,
                                                           shouldStop: { if MonotonicClock.now() >= deadline { throw APIError.deadlineExceeded() } })
                let run = DatasetRun(results: results, imageIds: ids,
                                     warnings: match.warnings + [DatasetEvaluation.droppedClassesWarning(mapping.dropped)].compactMap { $0 },
                                     settings: settings)
                // One thread: the evaluation runs on an inference worker, which owns one core.
                let report = try Evaluation.run(gt: gt, dt: results, iouType: segm ? .segm : .bbox, params: params, policy: policy, voc: voc, threads: 1)
                return run.reportJSON(report, model: model.info.name, curves: curves)
            } catch let error as EvalError {
                throw APIError(status: 400, code: "invalid_evaluation_input", error.description)
            } catch let error as DatasetImageError {
                let api = APIError.from(error.underlying)
                throw APIError(status: api.status, code: api.code, "image '\(error.file)': \(api.message)")
            }
        }
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(text.utf8))
    }
}
