import ArgusDetection
import ArgusImage
import ArgusMask
import ArgusModels
import ArgusServer
import ArgusTestSupport
import XCTest

/// YOLOv8 checkpoints and ONNX exports behind the real server, by model name: /detect and /segment answer
/// exactly what the in-process models return (their own tests hold them against Ultralytics / YOLOX /
/// onnxruntime), /models describes them, and their misuses are 400s naming the problem.
final class YOLOFamilyServerTests: XCTestCase {
    static let tinySeg = Repository.url("Tests/ArgusModelsTests/Fixtures/yolov8/yolov8n_seg_tiny_custom3.pt").path

    func testCommittedYOLOv8SegmentCheckpoint() throws {
        let model = try XCTUnwrap(ModelLoader.loadModel(contentsOf: Self.tinySeg).detector)
        XCTAssertEqual(model.info.family, "yolov8")
        XCTAssertEqual(model.info.task, .segment)
        let server = try ServerHarness(models: [model]) { $0.workers = 1 }
        let listed = try XCTUnwrap((server.get("/models").object["models"] as? [[String: Any]])?.first)
        XCTAssertEqual(listed["family"] as? String, "yolov8")
        XCTAssertEqual(listed["task"] as? String, "segment")
        XCTAssertEqual(listed["classes"] as? [String], ["helmet", "vest", "person"])

        let png = TestInputs.png(width: 160, height: 120, red: 200)
        let want = try model.detect(decoded(png), options: DetectOptions(confidence: 0.01)).detections
        XCTAssertFalse(want.isEmpty, "the tiny model finds something at conf 0.01")
        let r = try server.post("/segment?model=yolov8n_seg_tiny_custom3&conf=0.01", contentType: "image/png", body: png)
        XCTAssertEqual(r.status, 200, r.text)
        let entry = try XCTUnwrap((r.object["images"] as? [[String: Any]])?.first)
        assertDetections(entry, equal: want)
        for (got, d) in zip(entry["detections"] as? [[String: Any]] ?? [], want) {
            XCTAssertEqual(try MaskDecoding.rle(got["mask"]), d.mask)
        }
        let boxes = try server.post("/detect?model=yolov8n_seg_tiny_custom3&conf=0.01", contentType: "image/png", body: png)
        XCTAssertEqual(boxes.status, 200, boxes.text)
        assertDetections(try XCTUnwrap((boxes.object["images"] as? [[String: Any]])?.first), equal: want)
    }

    func testSharedONNXModels() throws {
        if isDebugBuild { throw XCTSkip("ONNX models through HTTP: run with swift test -c release") }
        let yoloxFile = try SharedData.path("weights/onnx/yolox_nano.onnx")
        let segInt8File = try SharedData.path("weights/onnx/yolov8n-seg_int8_320.onnx")
        let imageFile = try SharedData.path("datasets/coco128/images/train2017/000000000077.jpg")
        let yolox = try ModelLoader.loadModel(contentsOf: yoloxFile)
        let seg = try ModelLoader.loadModel(contentsOf: segInt8File)
        let server = try ServerHarness(loaded: [yolox, seg]) { $0.workers = 1 }
        let jpeg = Array(try Data(contentsOf: URL(fileURLWithPath: imageFile)))
        let image = decoded(jpeg)

        let r = try server.post("/detect?model=yolox_nano", contentType: "image/jpeg", body: jpeg)
        XCTAssertEqual(r.status, 200, r.text)
        assertDetections(try XCTUnwrap((r.object["images"] as? [[String: Any]])?.first),
                         equal: try yolox.detector!.detect(image, options: DetectOptions()).detections)

        let s = try server.post("/segment?model=yolov8n-seg_int8_320&conf=0.1", contentType: "image/jpeg", body: jpeg)
        XCTAssertEqual(s.status, 200, s.text)
        let want = try seg.detector!.detect(image, options: DetectOptions(confidence: 0.1)).detections
        XCTAssertFalse(want.isEmpty)
        let entry = try XCTUnwrap((s.object["images"] as? [[String: Any]])?.first)
        assertDetections(entry, equal: want)
        for (got, d) in zip(entry["detections"] as? [[String: Any]] ?? [], want) {
            XCTAssertEqual(try MaskDecoding.rle(got["mask"]), d.mask)
        }

        // A fixed-size export refuses another input size; a box-only model cannot segment.
        let size = try server.post("/detect?model=yolox_nano&imgsz=640", contentType: "image/jpeg", body: jpeg)
        XCTAssertEqual(size.status, 400, size.text)
        XCTAssertTrue(size.text.contains("imgsz"), size.text)
        let noMasks = try server.post("/segment?model=yolox_nano", contentType: "image/jpeg", body: jpeg)
        XCTAssertEqual(noMasks.status, 400, noMasks.text)
        XCTAssertTrue(noMasks.text.contains("yolox_nano"), noMasks.text)
    }
}
