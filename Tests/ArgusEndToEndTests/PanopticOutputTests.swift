import ArgusDetection
import ArgusImage
import ArgusMask
import ArgusModels
import ArgusPipeline
import ArgusTestSupport
import Foundation
import XCTest

/// `argus segment --panoptic-output` (tiny Mask R-CNN + tiny VOC-labelled LRASPP) on coco-val96 images feeds
/// `argus eval --panoptic` unchanged: the PNGs hold the listed segment ids, every category id is one of the COCO
/// panoptic ground truth's (VOC semantic classes written as their COCO categories), and PQ runs on the files as written.
final class PanopticOutputTests: XCTestCase {
    static let semantic = Repository.url("Tests/ArgusModelsTests/Fixtures/torchvision_seg/semantic_mnv3_tiny.pt").path

    func testSegmentPanopticOutputFeedsArgusEvalPanoptic() throws {
        let gtPath = try SharedData.path("datasets/coco-val96/annotations/panoptic_val75.json")
        let gtDirectory = try SharedData.path("datasets/coco-val96/annotations/panoptic_val2017")
        let gt = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: gtPath))) as? [String: Any])
        let categories = try XCTUnwrap(gt["categories"] as? [[String: Any]])
        let known = Set(categories.compactMap { $0["id"] as? Int })

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("argus-panoptic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let weights = (directory as NSString).appendingPathComponent("tiny_maskrcnn.safetensors")
        try SegmentEvalCommandTests.writeTinyMaskRCNN(to: weights)
        let names = ["000000000139", "000000000632"]
        var images: [String] = []
        for name in names {
            let source = try SharedData.path("datasets/coco-val96/images/val2017/\(name).jpg")
            let target = (directory as NSString).appendingPathComponent("\(name).jpg")
            try FileManager.default.copyItem(atPath: source, toPath: target)
            images.append(target)
        }
        // Only COCO's 80 thing names: the random tiny detector also scores torchvision's "N/A" slots, which no
        // trained model predicts and no panoptic ground truth has.
        let things = COCOCategories.torchvision91.filter { $0 != "N/A" && $0 != "__background__" }.joined(separator: ",")
        let prediction = (directory as NSString).appendingPathComponent("pred.json")
        let (status, _, err) = try EvalCommandModelTests.run(["segment", "--weights", weights, "--semantic-weights", Self.semantic,
                                                              "--conf", "0.05", "--classes", things, "--min-stuff-area", "64",
                                                              "--panoptic-output", prediction, "--output", "/dev/null"] + images)
        XCTAssertEqual(status, 0, err)

        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: prediction))) as? [String: Any])
        let annotations = try XCTUnwrap(document["annotations"] as? [[String: Any]])
        XCTAssertEqual(annotations.compactMap { $0["image_id"] as? Int }, [139, 632])
        var stuff = 0
        for a in annotations {
            let file = try XCTUnwrap(a["file_name"] as? String)
            let png = try Data(contentsOf: URL(fileURLWithPath: (directory as NSString).appendingPathComponent("pred/\(file)")))
            let image = try decodeImage([UInt8](png)).image
            var painted = Set<Int>()
            for i in 0..<(image.width * image.height) {
                painted.insert(Int(image.pixels[3 * i]) | Int(image.pixels[3 * i + 1]) << 8 | Int(image.pixels[3 * i + 2]) << 16)
            }
            painted.remove(0)
            let segments = try XCTUnwrap(a["segments_info"] as? [[String: Any]])
            XCTAssertEqual(Set(segments.compactMap { $0["id"] as? Int }), painted, file)
            for s in segments {
                XCTAssert(known.contains(s["category_id"] as? Int ?? -1), "\(file): category \(s["category_id"] ?? "none") is not COCO panoptic's")
                if s["isthing"] as? Int == 0 { stuff += 1 }
            }
        }
        XCTAssertGreaterThan(stuff, 0, "the semantic model contributes segments")

        // The ground truth of those two images, then PQ on the files as written.
        let kept = (gt["annotations"] as? [[String: Any]] ?? []).filter { names.contains((($0["file_name"] as? String) ?? "").replacingOccurrences(of: ".png", with: "")) }
        XCTAssertEqual(kept.count, 2)
        let subset = (directory as NSString).appendingPathComponent("gt.json")
        try JSONSerialization.data(withJSONObject: ["categories": categories, "annotations": kept]).write(to: URL(fileURLWithPath: subset))
        let (s2, out2, err2) = try EvalCommandModelTests.run(["eval", "--panoptic", "--gt", subset, "--gt-dir", gtDirectory, "--dt", prediction])
        XCTAssertEqual(s2, 0, err2)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: out2) as? [String: Any])
        XCTAssertNotNil((report["All"] as? [String: Any])?["pq"] as? Double, String(decoding: out2, as: UTF8.self))
    }
}

/// The category ids of panoptic segments, worked by hand.
final class PanopticCategoriesTests: XCTestCase {
    func testVOCClassesBecomeTheirCOCOCategories() throws {
        let voc = ["__background__", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
                   "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor"]
        let coco = COCOCategories.torchvision91
        func id(_ index: Int, thing: Bool = false) -> Int {
            PanopticCategories.categoryId(PanopticSegment(id: 1, categoryId: index, isThing: thing, area: 1,
                                                          bbox: BoxXYWH(x: 0, y: 0, width: 1, height: 1), score: nil),
                                          thingNames: coco, stuffNames: voc)
        }
        // COCO panoptic ids: person 1, airplane 5, dining table 67, motorcycle 4, potted plant 64, couch 63, tv 72.
        XCTAssertEqual([15, 1, 11, 14, 16, 18, 20].map { id($0) }, [1, 5, 67, 4, 64, 63, 72])
        XCTAssertEqual(id(3, thing: true), 3, "things keep their category id")
        XCTAssertEqual(id(0), PanopticCategories.unmatchedBase, "no COCO category is called __background__")
    }
}
