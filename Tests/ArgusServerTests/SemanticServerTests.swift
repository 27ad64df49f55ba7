import ArgusImage
import ArgusMask
import ArgusModels
import ArgusServer
import ArgusTestSupport
import ArgusWeights
import XCTest

/// A real torchvision LRASPP (the tiny committed MobileNetV3 weights) behind /segment: the label map equals the
/// in-process model's, agrees with torchvision's reference label map (tools/gen_segmentation_fixtures.py) on a coco128
/// image, class pixel counts add up, score maps are the model's probabilities, and the panoptic route pairs it with an
/// instance model.
final class SemanticServerTests: XCTestCase {
    static let fixtures = Repository.url("Tests/ArgusModelsTests/Fixtures/torchvision_seg")

    static func tinyLRASPP() throws -> TorchvisionSegmenter {
        let weights = try Checkpoint.load(contentsOf: fixtures.appendingPathComponent("semantic_mnv3_tiny.pt").path)
        return try TorchvisionSegmenter.load(weights, architecture: .lrasppMobileNetV3Large, name: "tiny_lraspp")
    }

    /// Class indices back from a VOC-palette PNG (the palette is one-to-one on 0...255).
    static func labels(fromPalettePNG image: RGBImage) throws -> [UInt8] {
        var index: [Int: UInt8] = [:]
        for (i, c) in SegmentationPalette.pascalVOC(count: 256).enumerated() { index[Int(c.r) << 16 | Int(c.g) << 8 | Int(c.b)] = UInt8(i) }
        return try (0..<(image.width * image.height)).map { i in
            let key = Int(image.pixels[3 * i]) << 16 | Int(image.pixels[3 * i + 1]) << 8 | Int(image.pixels[3 * i + 2])
            return try XCTUnwrap(index[key], "pixel \(i) is not a palette colour")
        }
    }

    func testLabelMapEqualsTheModelAndScoresAreItsProbabilities() throws {
        let model = try Self.tinyLRASPP()
        let server = try ServerHarness(loaded: [.detector(FakeDetector()), .semantic(model)]) { $0.workers = 1 }
        let png = TestInputs.png(width: 96, height: 72)
        // Without imgsz, torchvision's preset size (the short side resized to 520, logits back to the image's size).
        XCTAssertEqual(model.info.defaults.imageSize, 520)
        let expected = try model.segment(decoded(png), options: SegmentOptions(imageSize: 520, includeScores: true))

        // /models lists it as semantic with only an input size as its defaults (no conf/iou/max_det to speak of).
        let listed = try XCTUnwrap((try server.get("/models").object["models"] as? [[String: Any]])?.last)
        XCTAssertEqual(listed["task"] as? String, "semantic")
        XCTAssertEqual(listed["defaults"] as? [String: Int], ["imgsz": 520])

        let r = try server.post("/segment?model=tiny_lraspp&scores=true", contentType: "image/png", body: png)
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.object["task"] as? String, "semantic")
        let image = try XCTUnwrap((r.object["images"] as? [[String: Any]])?.first)
        XCTAssertEqual(try Self.labels(fromPalettePNG: try MaskDecoding.png(image["label_map"])), expected.labels.labels)
        let classes = try XCTUnwrap(image["classes"] as? [[String: Any]])
        XCTAssertEqual(classes.reduce(0) { $0 + ($1["pixels"] as! Int) }, 96 * 72)
        for entry in classes {
            let c = UInt8(entry["class_id"] as! Int)
            XCTAssertEqual(entry["pixels"] as? Int, expected.labels.labels.filter { $0 == c }.count)
            XCTAssertEqual(entry["label"] as? String, VOCCategories.torchvision21[Int(c)])
        }
        let scores = try XCTUnwrap(image["scores"] as? [[String: Any]])
        let probabilities = try XCTUnwrap(expected.scores)
        XCTAssertEqual(scores.count, 21)
        let plane = 96 * 72
        for c in [0, 15] {
            let gray = MaskDecoding.red(try MaskDecoding.png(scores[c]["png"]))
            let want = probabilities.storage[(c * plane)..<((c + 1) * plane)].map { UInt8(min(255, max(0, ($0 * 255).rounded()))) }
            XCTAssertEqual(gray, Array(want), "class \(c)")
        }
    }

    /// Through HTTP, against torchvision's label maps for coco128 000000000025.jpg (426x640): at the image's own size
    /// (imgsz = its short side) and with the preset's resize to a 200-pixel short side (tools/gen_semantic_resize_fixtures.py).
    func testLabelMapsAgreeWithTorchvisionOnACOCOImage() throws {
        let file = try SharedData.url("datasets/coco128/images/train2017/000000000025.jpg")
        let jpeg = try Data(contentsOf: file)
        let server = try ServerHarness(loaded: [.semantic(try Self.tinyLRASPP())]) { $0.workers = 1 }
        for (imgsz, referenceFile) in [(426, "lraspp_mnv3_tiny_000000000025.png"), (200, "semantic_resize_lraspp_000000000025.png")] {
            let r = try server.post("/segment?imgsz=\(imgsz)", contentType: "image/jpeg", body: [UInt8](jpeg))
            XCTAssertEqual(r.status, 200, r.text)
            let image = try XCTUnwrap((r.object["images"] as? [[String: Any]])?.first)
            let mine = try Self.labels(fromPalettePNG: try MaskDecoding.png(image["label_map"]))
            // torchvision's arg-max at the original size, stored as an 8-bit gray PNG by the fixture generators.
            let reference = MaskDecoding.red(try decodeImage([UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent(referenceFile)))).image)
            XCTAssertEqual(mine.count, reference.count)
            let differ = zip(mine, reference).filter { $0 != $1 }.count
            XCTAssertLessThanOrEqual(Double(differ), 0.001 * Double(reference.count), "imgsz \(imgsz): \(differ) labels differ from torchvision")
        }
    }

    func testPanopticWithTheRealSemanticModel() throws {
        let server = try ServerHarness(loaded: [.detector(FakeMaskDetector()), .semantic(try Self.tinyLRASPP())]) { $0.workers = 1 }
        let png = TestInputs.png(width: 96, height: 72)
        let r = try server.post("/segment?semantic_model=tiny_lraspp&min_stuff_area=1", contentType: "image/png", body: png)
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.object["model"] as? String, "fake_masks")
        let image = try XCTUnwrap((r.object["images"] as? [[String: Any]])?.first)
        let info = try XCTUnwrap(image["segments_info"] as? [[String: Any]])
        XCTAssertEqual(info.filter { $0["isthing"] as? Bool == true }.count, 2)
        let ids = try MaskDecoding.png(image["panoptic"])
        var painted = 0
        for i in 0..<(96 * 72) where ids.pixels[3 * i] != 0 || ids.pixels[3 * i + 1] != 0 || ids.pixels[3 * i + 2] != 0 { painted += 1 }
        XCTAssertEqual(info.reduce(0) { $0 + ($1["area"] as! Int) }, painted)
    }
}
