import ArgusDetection
import ArgusImage
import ArgusModels
import ArgusServer
import ArgusTestSupport
import XCTest

/// The real YOLOv5n behind the real server: HTTP results equal the in-process detector's and the
/// Ultralytics reference outputs (shared/reference/yolov5n, made with detect.py).
final class YOLOv5ServerTests: XCTestCase {
    func testDetectAndDeepStackWithYOLOv5n() throws {
        if isDebugBuild {
            throw XCTSkip("YOLOv5n through HTTP takes about a minute unoptimized; run it with swift test -c release")
        }
        let weights = try SharedData.path("weights/ultralytics/yolov5n.pt")
        let imageFile = try SharedData.path("datasets/coco128/images/train2017/000000000009.jpg")
        let referenceFile = try SharedData.path("reference/yolov5n/detect/000000000009.json")
        let model = try ModelLoader.load(contentsOf: weights)
        XCTAssertEqual(model.info.name, "yolov5n")
        let server = try ServerHarness(models: [model]) { $0.workers = 1 }
        let jpeg = Array(try Data(contentsOf: URL(fileURLWithPath: imageFile)))
        let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: referenceFile))) as! [String: Any]
        let refDetections = reference["detections"] as! [[String: Any]]

        let r = try server.post("/detect", contentType: "image/jpeg", body: jpeg)
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.object["model"] as? String, "yolov5n")
        let entry = (r.object["images"] as! [[String: Any]])[0]
        XCTAssertEqual(entry["width"] as? Int, reference["width"] as? Int)
        XCTAssertEqual(entry["height"] as? Int, reference["height"] as? Int)
        // Exactly what the model returns in-process for the same decoded image...
        let inProcess = try model.detect(decoded(jpeg), options: DetectOptions()).detections
        assertDetections(entry, equal: inProcess)
        // ...and what Ultralytics' detect.py returned (the model's own tests hold the tight tolerances).
        let got = entry["detections"] as! [[String: Any]]
        XCTAssertEqual(got.count, refDetections.count)
        for (g, e) in zip(got, refDetections) {
            XCTAssertEqual(g["label"] as? String, e["label"] as? String ?? e["name"] as? String)
            let gb = g["box"] as! [Double], eb = e["box"] as! [Double]
            for k in 0..<4 { XCTAssertEqual(gb[k], eb[k], accuracy: 0.5) }
            XCTAssertEqual(g["score"] as! Double, e["score"] as! Double, accuracy: 2e-3)
        }

        // DeepStack: integer boxes sorted by confidence, min_confidence applied.
        let form = TestInputs.multipart(fields: [("min_confidence", "0.4")], files: [("image", "a.jpg", "image/jpeg", jpeg)])
        let ds = try server.post("/v1/vision/detection", contentType: form.contentType, body: form.body)
        XCTAssertEqual(ds.status, 200, ds.text)
        let predictions = ds.object["predictions"] as! [[String: Any]]
        let expected = inProcess.filter { $0.score >= 0.4 }
        XCTAssertEqual(predictions.count, expected.count)
        for (p, e) in zip(predictions, expected) {
            XCTAssertEqual(p["label"] as? String, e.label)
            XCTAssertEqual(p["x_min"] as? Int, Int(e.box.x1.rounded()))
            XCTAssertEqual(p["y_max"] as? Int, Int(e.box.y2.rounded()))
        }
    }
}

/// Whether the tests were compiled without optimization.
let isDebugBuild: Bool = {
    #if DEBUG
    return true
    #else
    return false
    #endif
}()
