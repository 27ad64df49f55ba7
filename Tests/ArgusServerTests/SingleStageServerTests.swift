import ArgusDetection
import ArgusImage
import ArgusModels
import ArgusServer
import ArgusTestSupport
import XCTest

/// A torchvision SSDlite (the tiny committed fixture, 5 classes) served by name next to another model: /detect
/// equals the in-process detector at its defaults and with parameters, the listing names its family and defaults,
/// and Fast R-CNN proposals are refused for it (it has no RoI stage).
final class SingleStageServerTests: XCTestCase {
    static let checkpoint = Repository.url("Tests/ArgusModelsTests/Fixtures/single_stage/ssdlite_tiny.pt").path

    func testDetectByName() throws {
        let model = try ModelLoader.load(contentsOf: Self.checkpoint, name: "tiny_ssdlite")
        XCTAssertEqual(model.info.family, "ssd")
        XCTAssertEqual(model.info.classNames, ["__background__", "class1", "class2", "class3", "class4"])
        let server = try ServerHarness(models: [FakeDetector(), model]) { $0.workers = 1 }
        let png = TestInputs.png(width: 96, height: 72)
        let image = decoded(png)

        let r = try server.post("/detect?model=tiny_ssdlite", contentType: "image/png", body: png)
        XCTAssertEqual(r.status, 200, r.text)
        let defaults = try model.detect(image, options: DetectOptions()).detections
        XCTAssertEqual(defaults.count, 300, "SSDlite's detections_per_img")
        assertDetections((r.object["images"] as! [[String: Any]])[0], equal: defaults)

        let options = DetectOptions(confidence: 0.3, iou: 0.3, maxDetections: 7, classes: [2, 3])
        let p = try server.post("/detect?model=tiny_ssdlite&conf=0.3&iou=0.3&max_det=7&classes=2,3",
                                contentType: "image/png", body: png)
        XCTAssertEqual(p.status, 200, p.text)
        let expected = try model.detect(image, options: options).detections
        XCTAssertFalse(expected.isEmpty)
        XCTAssert(expected.allSatisfy { [2, 3].contains($0.classId) && $0.score > 0.3 })
        assertDetections((p.object["images"] as! [[String: Any]])[0], equal: expected)

        let listing = try server.get("/models")
        let entry = try XCTUnwrap((listing.object["models"] as? [[String: Any]])?.first { $0["name"] as? String == "tiny_ssdlite" })
        XCTAssertEqual(entry["family"] as? String, "ssd")
        XCTAssertEqual((entry["defaults"] as? [String: Any])?["max_det"] as? Int, 300)

        // The smallest SSDlite input still runs (its extra blocks are padded); a bad imgsz is a 400 naming it.
        let small = try server.post("/detect?model=tiny_ssdlite&imgsz=32", contentType: "image/png", body: png)
        XCTAssertEqual(small.status, 200, small.text)
        let bad = try server.post("/detect?model=tiny_ssdlite&imgsz=5000", contentType: "image/png", body: png)
        XCTAssertEqual(bad.status, 400, bad.text)
        XCTAssert(bad.text.contains("imgsz"), bad.text)

        let proposals = try server.post("/detect?model=tiny_ssdlite&proposals=%5B%5B1,2,30,40%5D%5D", contentType: "image/png", body: png)
        XCTAssertEqual(proposals.status, 400, proposals.text)
        XCTAssert(proposals.text.contains("two-stage"), proposals.text)
    }
}
