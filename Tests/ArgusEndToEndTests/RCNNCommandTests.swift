import ArgusDetection
import ArgusImage
import ArgusModels
import ArgusTestSupport
import Foundation
import XCTest

/// `argus detect --rcnn-classifier`: R-CNN around a MobileNetV3-Small (the classification fixture's rule weights, as
/// safetensors) on the R-CNN fixture's small image; the executable's JSON equals the in-process model's, with
/// selective search and with a proposals file, and misuse fails naming the problem.
final class RCNNCommandTests: XCTestCase {
    static let image = Repository.url("Tests/ArgusModelsTests/Fixtures/rcnn/small.png").path

    func classifier() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mnv3s-\(UUID().uuidString).safetensors").path
        try SafetensorsFile.writeRuleClassifier("mobilenet_v3_small", to: path)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func detections(_ stdout: Data) throws -> [[String: Any]] {
        let list = try XCTUnwrap(JSONSerialization.jsonObject(with: stdout) as? [[String: Any]])
        return try XCTUnwrap(list.first?["detections"] as? [[String: Any]])
    }

    func assertSame(_ got: [[String: Any]], _ expected: [Detection], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, expected.count, file: file, line: line)
        for (g, e) in zip(got, expected) {
            XCTAssertEqual(g["class_id"] as? Int, e.classId, file: file, line: line)
            XCTAssertEqual(g["label"] as? String, e.label, file: file, line: line)
            XCTAssertEqual(g["score"] as? Double ?? -1, Double(e.score), accuracy: 1e-5, file: file, line: line)
            XCTAssertEqual(g["box"] as? [Double], [e.box.x1, e.box.y1, e.box.x2, e.box.y2].map(Double.init), file: file, line: line)
        }
    }

    func testDetectMatchesTheInProcessModel() throws {
        let weights = try classifier()
        let model = try XCTUnwrap(ModelLoader.loadRCNN(classifierAt: weights).detector as? SlowRCNN)
        XCTAssertEqual(model.info.family, .rcnn)
        XCTAssertEqual(model.info.name, "rcnn_" + ModelLoader.fileStem(weights))
        XCTAssertEqual(model.info.classNames.first, "tench")
        let decoded = try decodeImage([UInt8](Data(contentsOf: URL(fileURLWithPath: Self.image)))).image
        let expected = try model.detect(decoded, options: DetectOptions(confidence: 0.05)).detections
        XCTAssertFalse(expected.isEmpty, "the rule's MobileNetV3-Small finds something at conf 0.05")

        let (status, out, err) = try EvalCommandModelTests.run(["detect", "--rcnn-classifier", weights, "--conf", "0.05", Self.image])
        XCTAssertEqual(status, 0, err)
        assertSame(try detections(out), expected)

        // The caller's regions instead of selective search's.
        let boxes = [Box(x1: 0, y1: 0, x2: 96, y2: 128), Box(x1: 10, y1: 20, x2: 60, y2: 90), Box(x1: -8, y1: 100, x2: 30, y2: 140)]
        let proposals = FileManager.default.temporaryDirectory.appendingPathComponent("rcnn-proposals-\(UUID().uuidString).json").path
        FileManager.default.createFile(atPath: proposals, contents: Data("[[0, 0, 96, 128], [10, 20, 60, 90], [-8, 100, 30, 140]]".utf8))
        defer { try? FileManager.default.removeItem(atPath: proposals) }
        // (On these three regions the random network's softmax is nearly flat: top probabilities about 0.003.)
        let given = try model.detect(decoded, proposals: boxes, pooling: .align, options: DetectOptions(confidence: 0.002)).detections
        XCTAssertFalse(given.isEmpty)
        let (s2, out2, err2) = try EvalCommandModelTests.run(["detect", "--rcnn-classifier", weights, "--conf", "0.002",
                                                              "--proposals", proposals, Self.image])
        XCTAssertEqual(s2, 0, err2)
        assertSame(try detections(out2), given)
    }

    func testMisuseFailsNamingTheProblem() throws {
        let weights = try classifier()
        let (s1, _, e1) = try EvalCommandModelTests.run(["detect", "--rcnn-classifier", weights, "--imgsz", "300", Self.image])
        XCTAssertNotEqual(s1, 0)
        XCTAssert(e1.contains("imgsz does not apply to R-CNN"), e1)
        let (s2, _, e2) = try EvalCommandModelTests.run(["detect", "--rcnn-classifier", weights, "--weights", weights, Self.image])
        XCTAssertNotEqual(s2, 0)
        XCTAssert(e2.contains("--rcnn-classifier is the whole model"), e2)
        let detector = Repository.url("Tests/ArgusModelsTests/Fixtures/torchvision/fasterrcnn_mnv3_tiny.pt").path
        let (s3, _, e3) = try EvalCommandModelTests.run(["detect", "--rcnn-classifier", detector, Self.image])
        XCTAssertNotEqual(s3, 0)
        XCTAssert(e3.contains("R-CNN needs an image classifier"), e3)
    }
}
