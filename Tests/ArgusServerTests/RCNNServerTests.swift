import ArgusDetection
import ArgusImage
import ArgusModels
import ArgusServer
import ArgusTestSupport
import Foundation
import XCTest

/// R-CNN (`--rcnn-classifier`) served on /detect: selective search and caller regions give the in-process model's
/// detections; what does not apply to it is a 400 naming the problem.
final class RCNNServerTests: XCTestCase {
    func testDetectWithSelectiveSearchAndCallerRegions() throws {
        let weights = FileManager.default.temporaryDirectory.appendingPathComponent("mnv3s-\(UUID().uuidString).safetensors").path
        try SafetensorsFile.writeRuleClassifier("mobilenet_v3_small", to: weights)
        defer { try? FileManager.default.removeItem(atPath: weights) }
        let loaded = try ModelLoader.loadRCNN(classifierAt: weights)
        let model = try XCTUnwrap(loaded.detector)
        let name = model.info.name
        let server = try ServerHarness(loaded: [.detector(FakeDetector()), loaded]) { $0.workers = 1 }
        let png = [UInt8](try Data(contentsOf: Repository.url("Tests/ArgusModelsTests/Fixtures/rcnn/small.png")))
        let image = decoded(png)

        let r = try server.post("/detect?model=\(name)&conf=0.05", contentType: "image/png", body: png)
        XCTAssertEqual(r.status, 200, r.text)
        let expected = try model.detect(image, options: DetectOptions(confidence: 0.05)).detections
        XCTAssertFalse(expected.isEmpty)
        assertDetections((r.object["images"] as! [[String: Any]])[0], equal: expected)

        let regions = try XCTUnwrap(model as? any ProposalDetector)
        let given = try regions.detect(image, proposals: [Box(x1: 0, y1: 0, x2: 96, y2: 128), Box(x1: 10, y1: 20, x2: 60, y2: 90)],
                                       pooling: .align, options: DetectOptions(confidence: 0.002)).detections
        XCTAssertFalse(given.isEmpty)
        let json = "{\"image\": \"\(Data(png).base64EncodedString())\", \"model\": \"\(name)\", \"conf\": 0.002, "
            + "\"proposals\": [[0, 0, 96, 128], [10, 20, 60, 90]]}"
        let j = try server.postJSON("/detect", json)
        XCTAssertEqual(j.status, 200, j.text)
        assertDetections((j.object["images"] as! [[String: Any]])[0], equal: given)

        let models = try server.get("/models")
        let listed = (models.object["models"] as? [[String: Any]])?.first { $0["name"] as? String == name }
        XCTAssertEqual(listed?["family"] as? String, "rcnn", models.text)

        let sized = try server.post("/detect?model=\(name)&imgsz=320", contentType: "image/png", body: png)
        XCTAssertEqual(sized.status, 400, sized.text)
        XCTAssert(sized.text.contains("imgsz does not apply to R-CNN"), sized.text)
        let many = "[" + Array(repeating: "[0, 0, 10, 10]", count: 2001).joined(separator: ",") + "]"
        let tooMany = try server.postJSON("/detect", "{\"image\": \"\(Data(png).base64EncodedString())\", \"model\": \"\(name)\", "
                                          + "\"proposals\": \(many)}")
        XCTAssertEqual(tooMany.status, 400, tooMany.text)
        XCTAssert(tooMany.text.contains("at most 2000 regions"), tooMany.text)
    }
}
