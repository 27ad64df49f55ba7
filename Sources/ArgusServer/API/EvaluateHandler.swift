import ArgusEval
import ArgusJSON
import Foundation

/// The /evaluate request parameters.
enum EvaluateSettings {
    static let names: Set<String> = ["iou_type", "policy", "voc", "curves"]
    /// Panoptic quality (`panoptic=true`): no other parameter applies.
    static let panopticNames: Set<String> = ["panoptic"]
    /// Extra names accepted when images are uploaded: the model and its thresholds.
    static let modelNames: Set<String> = ["model", "conf", "iou", "max_det", "imgsz"]

    enum IoUKind: String, CaseIterable { case bbox, segm }
    enum Policy: String, CaseIterable { case strict, pycocotools }
}

extension ArgusService {
    /// POST /evaluate: COCO ground truth + COCO results in, pycocotools' metrics (and VOC AP) out.
    ///
    /// Accepts multipart/form-data with the files `ground_truth`, `results` and optionally `params`
    /// (`curl -F ground_truth=@instances.json -F results=@results.json`), or one JSON object
    /// `{"ground_truth": {...}, "results": [...], "params"?: {...}, "iou_type"?, "policy"?, "voc"?, "curves"?}`.
    /// `gt` and `dt` (pycocotools' names) are accepted for `ground_truth` and `results`.
    /// With multipart `image` files instead of `results`, the model (form field `model`) runs over them
    /// first: see `evaluateWithModel`.
    func evaluate(_ request: HTTPRequest) throws -> HTTPResponse {
        func documentName(_ name: String) -> String {
            name == "gt" ? "ground_truth" : name == "dt" ? "results" : name
        }
        var parameters = Parameters(request.query)
        var documents: [String: [UInt8]] = [:]
        var images: [MultipartPart] = []
        // Panoptic PNGs by file name, of the ground truth ("gt") and of the prediction ("dt").
        var pngs: [String: [String: [UInt8]]] = ["gt": [:], "dt": [:]]
        if request.body.isEmpty {
            if request.header("content-length") == nil && request.header("transfer-encoding") == nil { throw APIError.lengthRequired() }
            throw APIError.badRequest("the request body is empty; send ground_truth and results")
        }
        guard let media = request.header("content-type").flatMap(MediaType.init) else {
            throw APIError.unsupportedMediaType("send application/json or multipart/form-data")
        }
        switch media.essence {
        case "application/json":
            let document: JSONValue
            do { document = try JSONParser.parse(request.body) } catch let error as JSONParseError {
                throw APIError.badRequest("invalid JSON: \(error.description)")
            }
            guard case .object(let members) = document else { throw APIError.badRequest("the body must be a JSON object") }
            for (name, value) in members {
                switch name {
                case "ground_truth", "results", "params", "gt", "dt": documents[documentName(name)] = Array(value.serialized().utf8)
                case "gt_pngs", "dt_pngs":
                    guard case .object(let files) = value else { throw APIError.invalidParameter("\(name) must be an object of file name: base64 PNG") }
                    for (file, text) in files {
                        guard let base64 = text.stringValue, let bytes = Base64.decode(base64) else {
                            throw APIError.invalidParameter("\(name)[\"\(file)\"] must be a base64 PNG")
                        }
                        pngs[String(name.prefix(2)), default: [:]][file] = bytes
                    }
                default: try parameters.merge(jsonMembers: [(name, value)], skipping: [])
                }
            }
        case "multipart/form-data":
            guard let boundary = media.parameters["boundary"], !boundary.isEmpty else {
                throw APIError.badRequest("multipart/form-data without a boundary parameter")
            }
            let parts: [MultipartPart]
            do { parts = try MultipartParser.parse(request.body, boundary: boundary) } catch let error as MultipartError {
                throw APIError.badRequest("malformed multipart body: \(error.description)")
            }
            for part in parts {
                switch part.name {
                case "ground_truth", "results", "params", "gt", "dt": documents[documentName(part.name)] = part.data
                case "image", "images": images.append(part)
                case "gt_png", "dt_png":
                    guard let file = part.filename, !file.isEmpty else {
                        throw APIError.invalidParameter("a \(part.name) part needs a filename: the file_name its annotation gives")
                    }
                    pngs[String(part.name.prefix(2)), default: [:]][file] = part.data
                default:
                    guard let text = part.text else { throw APIError.invalidParameter("form field '\(part.name)' is not UTF-8 text") }
                    parameters.set(part.name, text)
                }
            }
        default:
            throw APIError.unsupportedMediaType("/evaluate takes application/json or multipart/form-data, not \(media.essence)")
        }
        if try parameters.bool("panoptic") == true {
            guard images.isEmpty else { throw APIError.badRequest("panoptic=true scores PNG folders; it does not run a model on images") }
            return try evaluatePanoptic(request, documents: documents, pngs: pngs, parameters: parameters)
        }
        if !(pngs["gt"]!.isEmpty && pngs["dt"]!.isEmpty) {
            throw APIError.badRequest("gt_png / dt_png parts are for panoptic=true")
        }
        if !images.isEmpty {
            return try evaluateWithModel(request, images: images, documents: documents, parameters: parameters)
        }
        if documents["results"] == nil, let name = parameters.names.first(where: EvaluateSettings.modelNames.contains) {
            throw APIError.badRequest("'\(name)' is for running a model, but no image was uploaded (multipart field 'image', one part per file)")
        }
        try parameters.requireKnown(EvaluateSettings.names)
        let deadline = try deadline(for: request, parameters)
        guard let gtBytes = documents["ground_truth"], let resultBytes = documents["results"] else {
            throw APIError.badRequest("/evaluate needs 'ground_truth' (a COCO annotations document) and either 'results' (COCO results) or uploaded 'image' files to run a model on")
        }
        let iouType: IoUType = (try parameters.choice("iou_type", EvaluateSettings.IoUKind.self) ?? .bbox) == .segm ? .segm : .bbox
        let policy: ValidationPolicy = (try parameters.choice("policy", EvaluateSettings.Policy.self) ?? .strict) == .strict ? .strict : .pycocotools
        let voc = try parameters.bool("voc") ?? true
        let curves = try parameters.bool("curves") ?? false
        let paramBytes = documents["params"]

        let text: String = try scheduler.run(deadline: deadline, cancelled: request.clientGone) {
            do {
                let gt = try COCODataset(json: Data(gtBytes))
                let dt = try COCOResult.parseList(json: Data(resultBytes))
                let params = try paramBytes.map { try EvalParams(json: Data($0)) } ?? EvalParams()
                // One thread: the evaluation runs on an inference worker, which owns one core.
                let report = try Evaluation.run(gt: gt, dt: dt, iouType: iouType, params: params, policy: policy,
                                                voc: voc, threads: 1)
                return report.json(includeWarnings: true, curves: curves)
            } catch let error as EvalError {
                throw APIError(status: 400, code: "invalid_evaluation_input", error.description)
            }
        }
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(text.utf8))
    }
}
