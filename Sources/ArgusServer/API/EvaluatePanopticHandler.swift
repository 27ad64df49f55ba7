import ArgusEval
import ArgusPipeline
import Foundation

extension ArgusService {
    /// POST /evaluate with `panoptic=true`: the ground truth's and the prediction's COCO panoptic JSON
    /// (`ground_truth` / `gt`, `results` / `dt`) and their PNGs (multipart `gt_png` / `dt_png` parts named by file
    /// name, or JSON `gt_pngs` / `dt_pngs` objects of file name to base64), scored as panopticapi's `pq_compute`.
    func evaluatePanoptic(_ request: HTTPRequest, documents: [String: [UInt8]], pngs: [String: [String: [UInt8]]],
                          parameters: Parameters) throws -> HTTPResponse {
        try parameters.requireKnown(EvaluateSettings.panopticNames)
        let deadline = try deadline(for: request, parameters)
        guard let gtBytes = documents["ground_truth"], let predictionBytes = documents["results"] else {
            throw APIError.badRequest("panoptic=true needs 'ground_truth' and 'results': COCO panoptic JSON documents")
        }
        let maxPixels = configuration.maxPixels
        let text: String = try scheduler.run(deadline: deadline, cancelled: request.clientGone) {
            do {
                let gt = try PanopticDataset(json: gtBytes, requireCategories: true)
                let prediction = try PanopticDataset(json: predictionBytes, requireCategories: false)
                let quality = try PanopticEvaluation.run(gt: gt, prediction: prediction, maxPixels: maxPixels) { side, file in
                    guard let bytes = pngs[side == .groundTruth ? "gt" : "dt"]?[file] else {
                        throw PanopticError("no \(side == .groundTruth ? "gt_png" : "dt_png") named '\(file)' was sent")
                    }
                    return bytes
                }
                return quality.json().serialized()
            } catch let error as PanopticError {
                throw APIError(status: 400, code: "invalid_evaluation_input", error.description)
            }
        }
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(text.utf8))
    }
}
