import ArgusImage
import ArgusMask
import ArgusModels
import ArgusTensor
import ArgusTestSupport
import ArgusWeights
import Foundation
import XCTest

/// `argus segment --format coco` with the committed tiny torchvision Mask R-CNN feeds `argus eval --iou-type segm`
/// unchanged: against a ground truth made of the model's own (non-empty) masks, every mask is recalled, and mask AP
/// is 1 over the non-empty ones.
final class SegmentEvalCommandTests: XCTestCase {
    static let fixtures = Repository.url("Tests/ArgusModelsTests/Fixtures")

    /// The Faster R-CNN fixture's tensors plus the mask branch's, as one safetensors file.
    static func writeTinyMaskRCNN(to path: String) throws {
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for file in ["torchvision/fasterrcnn_mnv3_tiny.pt", "torchvision_seg/maskrcnn_mnv3_tiny_mask_branch.pt"] {
            let checkpoint = try Checkpoint.load(contentsOf: fixtures.appendingPathComponent(file).path)
            for name in checkpoint.names {
                let tensor = try checkpoint.tensor(name)
                tensors.append((name, tensor.shape, tensor.storage))
            }
        }
        try SafetensorsFile.write(tensors, to: path)
    }

    func testCOCOMasksFeedArgusEvalSegm() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("argus-segeval-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let weights = (directory as NSString).appendingPathComponent("tiny_maskrcnn.safetensors")
        try Self.writeTinyMaskRCNN(to: weights)
        var pixels = [UInt8](repeating: 0, count: 96 * 72 * 3)
        for i in 0..<(96 * 72) { pixels[3 * i] = UInt8(i % 251); pixels[3 * i + 1] = UInt8((i / 96) * 3); pixels[3 * i + 2] = 60 }
        let image = (directory as NSString).appendingPathComponent("7.png")
        FileManager.default.createFile(atPath: image, contents: Data(try encodePNG(RGBImage(width: 96, height: 72, pixels: pixels))))
        let results = (directory as NSString).appendingPathComponent("masks.json")

        let (status, _, err) = try EvalCommandModelTests.run(["segment", "--weights", weights, "--conf", "0.05", "--format", "coco",
                                                              "--output", results, image])
        XCTAssertEqual(status, 0, err)
        let list = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: results))) as? [[String: Any]])
        XCTAssertFalse(list.isEmpty, "the tiny model finds something at conf 0.05")

        // The ground truth: every non-empty mask of the results, as an annotation of image 7.
        var annotations: [[String: Any]] = []
        for entry in list {
            let seg = try XCTUnwrap(entry["segmentation"] as? [String: Any])
            let rle = try RLE(compressed: try XCTUnwrap(seg["counts"] as? String), height: 72, width: 96)
            guard rle.area > 0 else { continue }
            let b = rle.boundingBox
            annotations.append(["id": annotations.count + 1, "image_id": 7, "category_id": entry["category_id"]!, "iscrowd": 0,
                                "area": rle.area, "bbox": [b.x, b.y, b.width, b.height], "segmentation": seg])
        }
        let categories = Set(list.compactMap { $0["category_id"] as? Int }).sorted().map { ["id": $0, "name": "c\($0)"] as [String: Any] }
        let gt: [String: Any] = ["images": [["id": 7, "file_name": "7.png", "width": 96, "height": 72]],
                                 "categories": categories, "annotations": annotations]
        let gtPath = (directory as NSString).appendingPathComponent("gt.json")
        try JSONSerialization.data(withJSONObject: gt).write(to: URL(fileURLWithPath: gtPath))

        // The file as written: accepted as is; every ground-truth mask is found (AR@100 = 1). Random tiny weights also
        // give empty masks, which can only be false positives, so AP is 1 once they are left out.
        let (s2, out2, err2) = try EvalCommandModelTests.run(["eval", "--gt", gtPath, "--dt", results, "--iou-type", "segm", "--lenient"])
        XCTAssertEqual(s2, 0, err2)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: out2) as? [String: Any])
        XCTAssertEqual(report["iou_type"] as? String, "segm")
        XCTAssertEqual(try XCTUnwrap(report["stats"] as? [Double])[8], 1.0, accuracy: 1e-12, err2)

        let nonEmpty = (directory as NSString).appendingPathComponent("nonempty.json")
        let kept = try list.filter { entry in
            let seg = try XCTUnwrap(entry["segmentation"] as? [String: Any])
            return try RLE(compressed: try XCTUnwrap(seg["counts"] as? String), height: 72, width: 96).area > 0
        }
        XCTAssertEqual(kept.count, annotations.count)
        try JSONSerialization.data(withJSONObject: kept).write(to: URL(fileURLWithPath: nonEmpty))
        let (s3, out3, err3) = try EvalCommandModelTests.run(["eval", "--gt", gtPath, "--dt", nonEmpty, "--iou-type", "segm", "--lenient"])
        XCTAssertEqual(s3, 0, err3)
        let stats = try XCTUnwrap((try JSONSerialization.jsonObject(with: out3) as? [String: Any])?["stats"] as? [Double])
        XCTAssertEqual(stats[0], 1.0, accuracy: 1e-12, err3)
    }
}
