@testable import ArgusEval
import ArgusJSON
@testable import ArgusWeights
import Foundation

/// The shared strict parser; what it accepts must serialize to text that parses back to the same value.
func fuzzJSON(_ bytes: [UInt8]) {
    guard let value = try? JSONParser.parse(bytes) else { return }
    let text = value.serialized()
    guard let again = try? JSONParser.parse(Array(text.utf8)) else {
        require(false, "serialized JSON does not parse: \(text.prefix(200))")
        return
    }
    require(again == value, "JSON round trip changed the value: \(text.prefix(200))")
}

/// The COCO readers on the same document: ground truth, a results list and evaluation parameters.
func fuzzCOCOJSON(_ bytes: [UInt8]) {
    let data = Data(bytes)
    _ = try? COCOResult.parseList(json: data)
    _ = try? EvalParams(json: data)
    _ = try? COCODataset(json: data)
}

/// Ground truth that parses, evaluated against itself as results: a bbox and a segm evaluation (validation,
/// masks from polygons and RLE, matching, accumulation) on one thread. Slower than the parsers alone, so it is
/// a harness of its own.
func fuzzCOCOEval(_ bytes: [UInt8]) {
    guard let gt = try? COCODataset(json: Data(bytes)) else { return }
    let dt = gt.annotations.map {
        COCOResult(imageId: $0.imageId, categoryId: $0.categoryId, score: 1, bbox: $0.bbox, segmentation: $0.segmentation)
    }
    for iouType in [IoUType.bbox, .segm] {
        _ = try? Evaluation.run(gt: gt, dt: dt, iouType: iouType, policy: .pycocotools, threads: 1)
    }
}

/// Safetensors headers: the JSON parser behind a slice that starts at 8, as the header does in a file.
func fuzzWeightsJSON(_ bytes: [UInt8]) {
    let file = [UInt8](repeating: 0, count: 8) + bytes
    guard let value = try? JSONReader.parse(file[8...]) else { return }
    _ = value.json(maxLength: 1000)
}
