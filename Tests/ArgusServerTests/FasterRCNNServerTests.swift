import ArgusDetection
import ArgusImage
import ArgusModels
import ArgusPipeline
import ArgusProposals
import ArgusServer
import ArgusTestSupport
import XCTest

/// A torchvision Faster R-CNN (the tiny committed fixture) served by name next to another model: /detect equals
/// the in-process detector, caller proposals run Fast R-CNN mode, and bad proposals are 400s naming the problem.
final class FasterRCNNServerTests: XCTestCase {
    static let checkpoint = Repository.url("Tests/ArgusModelsTests/Fixtures/torchvision/fasterrcnn_mnv3_tiny.pt").path

    func testDetectByNameAndWithProposals() throws {
        let model = try ModelLoader.load(contentsOf: Self.checkpoint, name: "tiny_rcnn")
        XCTAssertEqual(model.info.family, "faster_rcnn")
        XCTAssertEqual(model.info.classNames, COCOCategories.torchvision91)
        let server = try ServerHarness(models: [FakeDetector(), model]) { $0.workers = 1 }
        let png = TestInputs.png(width: 96, height: 72)
        let image = decoded(png)

        let r = try server.post("/detect?model=tiny_rcnn&conf=0.1", contentType: "image/png", body: png)
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.object["model"] as? String, "tiny_rcnn")
        let entry = (r.object["images"] as! [[String: Any]])[0]
        assertDetections(entry, equal: try model.detect(image, options: DetectOptions(confidence: 0.1)).detections)

        // Fast R-CNN mode, in the query and in a JSON body, with RoI Align and RoI Pool.
        let rcnn = try XCTUnwrap(model as? FasterRCNN)
        let boxes = [Box(x1: 2, y1: 3, x2: 60, y2: 50), Box(x1: 30, y1: 10, x2: 95, y2: 70)]
        let text = "[[2,3,60,50],[30,10,95,70]]"
        for pooling in RoIPooling.allCases {
            let expected = try rcnn.detect(image, proposals: boxes, pooling: pooling, options: DetectOptions(confidence: 0)).detections
            XCTAssertFalse(expected.isEmpty)
            let query = "model=tiny_rcnn&conf=0&pooling=\(pooling.rawValue)&proposals="
                + text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let q = try server.post("/detect?\(query)", contentType: "image/png", body: png)
            XCTAssertEqual(q.status, 200, q.text)
            assertDetections((q.object["images"] as! [[String: Any]])[0], equal: expected)
            let json = "{\"image\": \"\(Data(png).base64EncodedString())\", \"model\": \"tiny_rcnn\", \"conf\": 0, "
                + "\"pooling\": \"\(pooling.rawValue)\", \"proposals\": \(text)}"
            let j = try server.postJSON("/detect", json)
            XCTAssertEqual(j.status, 200, j.text)
            assertDetections((j.object["images"] as! [[String: Any]])[0], equal: expected)
        }
    }

    /// Fast R-CNN with selective search as the proposal source (query and JSON body): the first 2000 of OpenCV's
    /// selective-search boxes of the image, scored by the box head; an image over the selective-search limit is a 400.
    func testSelectiveSearchProposals() throws {
        let model = try ModelLoader.load(contentsOf: Self.checkpoint, name: "tiny_rcnn")
        let rcnn = try XCTUnwrap(model as? FasterRCNN)
        let server = try ServerHarness(models: [FakeDetector(), model]) { $0.workers = 1 }
        let png = TestInputs.png(width: 96, height: 72)
        let image = decoded(png)
        for (name, mode) in [("selective_search", SelectiveSearchMode.fast), ("selective_search:quality", .quality)] {
            let rects = try RegionProposals.selectiveSearch(image, mode: mode)
            XCTAssertEqual(rects, SelectiveSearch(mode: mode).process(ChannelImage(bgr: image)))
            XCTAssertFalse(rects.isEmpty)
            let boxes = rects.prefix(RegionProposals.fastRCNNCount).map(\.box)
            let expected = try rcnn.detect(image, proposals: Array(boxes), pooling: .align, options: DetectOptions(confidence: 0)).detections
            XCTAssertFalse(expected.isEmpty)
            let q = try server.post("/detect?model=tiny_rcnn&conf=0&proposals=\(name)", contentType: "image/png", body: png)
            XCTAssertEqual(q.status, 200, q.text)
            assertDetections((q.object["images"] as! [[String: Any]])[0], equal: expected)
            let json = "{\"image\": \"\(Data(png).base64EncodedString())\", \"model\": \"tiny_rcnn\", \"conf\": 0, \"proposals\": \"\(name)\"}"
            let j = try server.postJSON("/detect", json)
            XCTAssertEqual(j.status, 200, j.text)
            assertDetections((j.object["images"] as! [[String: Any]])[0], equal: expected)
        }
        let large = TestInputs.png(width: 1200, height: 1000)
        let r = try server.post("/detect?model=tiny_rcnn&proposals=selective_search", contentType: "image/png", body: large)
        XCTAssertEqual(r.status, 400, r.text)
        XCTAssert(r.text.contains("selective search"), r.text)
        let unknown = try server.post("/detect?model=tiny_rcnn&proposals=selective_search:slow", contentType: "image/png", body: png)
        XCTAssertEqual(unknown.status, 400, unknown.text)
        XCTAssert(unknown.text.contains("selective_search:quality"), unknown.text)
    }

    func testBadProposalsAreClientErrors() throws {
        let model = try ModelLoader.load(contentsOf: Self.checkpoint, name: "tiny_rcnn")
        let server = try ServerHarness(models: [FakeDetector(), model]) { $0.workers = 1 }
        let png = TestInputs.png(width: 32, height: 32)
        let cases: [(String, String)] = [
            ("model=tiny_rcnn&proposals=%5B%5B1,2,3%5D%5D", "proposals[0]"),
            ("model=tiny_rcnn&proposals=%5B%5B5,5,1,1%5D%5D", "x2 >= x1"),
            ("model=tiny_rcnn&proposals=nope", "not valid JSON"),
            ("model=tiny_rcnn&proposals=%7B%7D", "JSON array"),
            ("model=tiny_rcnn&pooling=pool", "give proposals"),
            ("model=tiny_rcnn&pooling=max&proposals=%5B%5D", "pooling must be one of"),
            ("proposals=%5B%5B1,2,3,4%5D%5D", "two-stage"),  // the default model is the fake single-stage one
        ]
        for (query, message) in cases {
            let r = try server.post("/detect?\(query)", contentType: "image/png", body: png)
            XCTAssertEqual(r.status, 400, "\(query): \(r.text)")
            XCTAssert(r.text.contains(message), "\(query): \(r.text)")
        }
    }
}
