import ArgusDetection
import ArgusEval
import ArgusImage
import ArgusMask
import ArgusModels
import ArgusServer
import XCTest

/// The committed tiny torchvision Mask R-CNN behind /segment and /detect: every mask format decodes back to the
/// in-process model's masks, COCO output scores AP 1 against those masks in ArgusEval, /detect serves its boxes,
/// and it pairs with the tiny LRASPP for panoptic output.
final class MaskRCNNServerTests: XCTestCase {
    static var harness: ServerHarness!
    static var model: (any Detector)!
    static var checkpoint: String?
    var server: ServerHarness { Self.harness }

    override class func setUp() {
        super.setUp()
        do {
            let path = try TinyMaskRCNN.writeCheckpoint()
            checkpoint = path
            let loaded = try ModelLoader.loadModel(contentsOf: path, name: "tiny_maskrcnn")
            model = loaded.detector
            harness = try ServerHarness(loaded: [.detector(FakeDetector()), loaded, .semantic(try SemanticServerTests.tinyLRASPP())]) {
                $0.workers = 1
            }
        } catch {
            XCTFail("cannot serve the tiny Mask R-CNN: \(error)")
        }
    }

    override class func tearDown() {
        harness = nil
        if let checkpoint { try? FileManager.default.removeItem(atPath: checkpoint) }
        super.tearDown()
    }

    let png = TestInputs.png(width: 96, height: 72)

    func expected(conf: Float = 0) throws -> [Detection] {
        let detections = try Self.model.detect(decoded(png), options: DetectOptions(confidence: conf)).detections
        XCTAssertFalse(detections.isEmpty, "the tiny model should find something at conf \(conf)")
        return detections
    }

    func detections(_ query: String) throws -> [[String: Any]] {
        let r = try server.post("/segment?model=tiny_maskrcnn&conf=0&" + query, contentType: "image/png", body: png)
        XCTAssertEqual(r.status, 200, r.text)
        return try XCTUnwrap((r.object["images"] as? [[String: Any]])?.first?["detections"] as? [[String: Any]])
    }

    func testModelIsAnInstanceSegmenter() throws {
        let model = try XCTUnwrap(Self.model)
        XCTAssertEqual(model.info.task, .segment)
        XCTAssertEqual(model.info.family, "mask_rcnn")
    }

    func testRLEAndPolygonsDecodeToTheModelsMasks() throws {
        let want = try expected()
        let rle = try detections("mask_format=rle")
        XCTAssertEqual(rle.count, want.count)
        for (got, d) in zip(rle, want) {
            XCTAssertEqual(try MaskDecoding.rle(got["mask"]), d.mask)
            XCTAssertEqual(got["area"] as? Int, d.mask?.area)
        }
        let polygons = try detections("mask_format=polygon")
        for (got, d) in zip(polygons, want) {
            XCTAssertEqual(try RLE(polygons: try MaskDecoding.polygons(got["mask"]), height: 72, width: 96), d.mask)
        }
        let pngs = try detections("mask_format=png")
        for (got, d) in zip(pngs, want) {
            let mask = try XCTUnwrap(got["mask"] as? [String: Any])
            guard let x = mask["x"] as? Int, let y = mask["y"] as? Int, let w = mask["width"] as? Int, w > 0 else { continue }
            let crop = MaskDecoding.red(try MaskDecoding.png(mask["png"]))
            let full = d.mask!.decodeRowMajor()
            let h = crop.count / w
            for j in 0..<h { for i in 0..<w where (crop[j * w + i] != 0) != (full[(y + j) * 96 + x + i] != 0) {
                XCTFail("png mask differs at (\(x + i), \(y + j))"); return
            } }
            XCTAssertEqual(crop.filter { $0 != 0 }.count, d.mask!.area)
        }
    }

    func testCOCOResultsScoreAPOneAgainstTheModelsMasks() throws {
        let want = try expected().filter { ($0.mask?.area ?? 0) > 0 }
        let coco = try detections("format=coco").filter {
            ((try? MaskDecoding.rle($0["segmentation"]))?.area ?? 0) > 0
        }
        XCTAssertEqual(coco.count, want.count)
        let results = try COCOResult.parseList(json: try JSONSerialization.data(withJSONObject: coco))
        let annotations = want.enumerated().map { i, d in
            COCOAnnotation(id: i + 1, imageId: 0, categoryId: d.classId, bbox: d.mask!.boundingBox, area: Double(d.mask!.area),
                           segmentation: .rle(d.mask!))
        }
        let gt = COCODataset(images: [COCOImage(id: 0, width: 96, height: 72)],
                             categories: COCOCategories.torchvision91.enumerated().map { COCOCategory(id: $0.offset, name: $0.element) },
                             annotations: annotations)
        let report = try Evaluation.run(gt: gt, dt: results, iouType: .segm, policy: .pycocotools, voc: false, threads: 1)
        XCTAssertEqual(report.coco.stats[0], 1.0, accuracy: 1e-12)
    }

    func testDetectServesTheBoxesAndRenderDrawsMasks() throws {
        let r = try server.post("/detect?model=tiny_maskrcnn&conf=0", contentType: "image/png", body: png)
        XCTAssertEqual(r.status, 200, r.text)
        assertDetections(try XCTUnwrap((r.object["images"] as? [[String: Any]])?.first), equal: try expected())

        let rendered = try server.post("/segment?model=tiny_maskrcnn&conf=0&render=png", contentType: "image/png", body: png)
        XCTAssertEqual(rendered.status, 200, rendered.text)
        let image = try decodeImage(rendered.body).image
        XCTAssertEqual([image.width, image.height], [96, 72])
        XCTAssertNotEqual(image.pixels, decoded(png).pixels)
    }

    func testPanopticWithTheTinyModels() throws {
        let r = try server.post("/segment?model=tiny_maskrcnn&semantic_model=tiny_lraspp&conf=0&min_stuff_area=1",
                                contentType: "image/png", body: png)
        XCTAssertEqual(r.status, 200, r.text)
        let image = try XCTUnwrap((r.object["images"] as? [[String: Any]])?.first)
        let info = try XCTUnwrap(image["segments_info"] as? [[String: Any]])
        let ids = try MaskDecoding.png(image["panoptic"])
        var painted = 0
        for i in 0..<(96 * 72) where ids.pixels[3 * i] != 0 || ids.pixels[3 * i + 1] != 0 || ids.pixels[3 * i + 2] != 0 { painted += 1 }
        XCTAssertEqual(info.reduce(0) { $0 + ($1["area"] as! Int) }, painted)
        for thing in info where thing["isthing"] as? Bool == true {
            let c = try XCTUnwrap(thing["category_id"] as? Int)
            XCTAssertEqual(thing["label"] as? String, COCOCategories.torchvision91[c], "torchvision labels are COCO ids")
        }
    }
}
