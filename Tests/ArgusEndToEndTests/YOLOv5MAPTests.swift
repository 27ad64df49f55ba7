import ArgusDetection
import ArgusEval
import ArgusImage
import ArgusMask
import ArgusModels
import Foundation
import XCTest
import ArgusPipeline
import ArgusTestSupport

/// Whole-pipeline check: YOLOv5n at val-style thresholds (conf 0.001, iou 0.6, max_det 300) over the
/// shared image sets, encoded as COCO results and scored, must give the reference COCO stats
/// (`../shared/reference/yolov5n/expected_map.json`, pycocotools on the official code's output) within 0.002.
final class YOLOv5MAPTests: XCTestCase {
    func testCOCO128MAP() throws { try checkMAP(set: "coco128", images: "datasets/coco128/images/train2017") }
    func testCOCOVal96MAP() throws { try checkMAP(set: "coco-val96", images: "datasets/coco-val96/images/val2017") }

    func checkMAP(set: String, images: String) throws {
        let expected = try SharedData.json("reference/yolov5n/expected_map.json")
        let entry = try XCTUnwrap(expected["\(set)_val"] as? [String: Any])
        let gtPath = try XCTUnwrap(entry["gt"] as? String)
        let stats = try XCTUnwrap(entry["stats"] as? [Double])
        let model = try ModelLoader.load(contentsOf: try SharedData.path("weights/ultralytics/yolov5n.pt"))
        let gt = try COCODataset(json: Data(contentsOf: URL(fileURLWithPath: try SharedData.path(gtPath))))
        XCTAssertTrue(COCOCategories.isCOCO80(model.info.classNames))

        let dir = try SharedData.path(images)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".jpg") }.sorted()
        let options = DetectOptions(confidence: 0.001, iou: 0.6, maxDetections: 300)
        var results: [COCOResult] = []
        var imageIds: [Int] = []
        for file in files {
            let imageId = try XCTUnwrap(COCOResultJSON.imageId(fileName: file))
            imageIds.append(imageId)
            let image = try decodeImage(try SharedData.bytes("\(images)/\(file)")).image
            for d in try model.detect(image, options: options).detections {
                let b = d.box
                results.append(COCOResult(imageId: imageId, categoryId: COCOCategories.ids80[d.classId], score: Double(d.score),
                                          bbox: BoxXYWH(x: Double(b.x1), y: Double(b.y1),
                                                        width: Double(b.x2 - b.x1), height: Double(b.y2 - b.y1))))
            }
        }
        // As the reference (val.py) does: evaluate over every image of the set, detections or not.
        var params = EvalParams()
        params.imageIds = imageIds
        let result = try COCOEvaluator(gt: gt, dt: results, iouType: .bbox, params: params).evaluate()
        for (i, (got, want)) in zip(result.stats, stats).enumerated() {
            XCTAssertEqual(got, want, accuracy: 0.002, "\(set) stat \(i) (\(result.summary[i]))")
        }
        print("\(set): AP50-95 \(result.stats[0]) (reference \(stats[0])), AP50 \(result.stats[1]) (reference \(stats[1]))")
    }
}
