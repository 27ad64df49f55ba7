import ArgusDetection
import ArgusImage
import ArgusModels
import ArgusPipeline
import ArgusTestSupport
import Foundation
import XCTest

/// `argus detect` and `argus models list` with a torchvision Faster R-CNN, as the README shows them: the
/// executable's JSON equals the in-process detector; --arch, --num-classes, --model and --proposals fail
/// clearly when they don't fit.
final class DetectCommandRCNNTests: XCTestCase {
    static let tiny = Repository.url("Tests/ArgusModelsTests/Fixtures/torchvision/fasterrcnn_mnv3_tiny.pt").path

    func image() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("argus-rcnn-\(UUID().uuidString).png").path
        var pixels = [UInt8](repeating: 0, count: 80 * 60 * 3)
        for i in 0..<(80 * 60) { pixels[3 * i] = UInt8(i % 251); pixels[3 * i + 1] = UInt8((i / 80) * 4); pixels[3 * i + 2] = 90 }
        let bytes = try encodePNG(RGBImage(width: 80, height: 60, pixels: pixels))
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func detections(_ stdout: Data) throws -> [[String: Any]] {
        let list = try XCTUnwrap(JSONSerialization.jsonObject(with: stdout) as? [[String: Any]])
        return try XCTUnwrap(list.first?["detections"] as? [[String: Any]])
    }

    func testDetectMatchesTheInProcessModel() throws {
        let png = try image()
        defer { try? FileManager.default.removeItem(atPath: png) }
        let decoded = try decodeImage([UInt8](Data(contentsOf: URL(fileURLWithPath: png)))).image
        let model = try ModelLoader.load(contentsOf: Self.tiny)
        let expected = try model.detect(decoded, options: DetectOptions(confidence: 0.1)).detections
        XCTAssertFalse(expected.isEmpty)

        let (status, out, err) = try EvalCommandModelTests.run(["detect", "--weights", Self.tiny, "--conf", "0.1", png])
        XCTAssertEqual(status, 0, err)
        let got = try detections(out)
        XCTAssertEqual(got.count, expected.count)
        for (g, e) in zip(got, expected) {
            XCTAssertEqual(g["class_id"] as? Int, e.classId)
            XCTAssertEqual(g["label"] as? String, e.label)
            XCTAssertEqual((g["score"] as? Double).map(Float.init), e.score)
        }

        // Fast R-CNN mode from a proposals file, RoI Pool.
        let proposals = FileManager.default.temporaryDirectory.appendingPathComponent("argus-proposals-\(UUID().uuidString).json").path
        FileManager.default.createFile(atPath: proposals, contents: Data("[[4, 5, 50, 40], [20, 10, 79, 59]]".utf8))
        defer { try? FileManager.default.removeItem(atPath: proposals) }
        let rcnn = try XCTUnwrap(model as? FasterRCNN)
        let given = try rcnn.detect(decoded, proposals: [Box(x1: 4, y1: 5, x2: 50, y2: 40), Box(x1: 20, y1: 10, x2: 79, y2: 59)],
                                    pooling: .pool, options: DetectOptions(confidence: 0)).detections
        let (s2, out2, err2) = try EvalCommandModelTests.run(["detect", "--weights", Self.tiny, "--conf", "0", "--proposals", proposals,
                                                              "--pooling", "pool", png])
        XCTAssertEqual(s2, 0, err2)
        XCTAssertEqual(try detections(out2).count, given.count)
    }

    /// `argus proposals` prints OpenCV's selective-search rects as [x1, y1, x2, y2] in its order, and `argus detect
    /// --proposals selective_search` scores them with the Faster R-CNN box head.
    func testSelectiveSearchCommands() throws {
        let png = try image()
        defer { try? FileManager.default.removeItem(atPath: png) }
        let decoded = try decodeImage([UInt8](Data(contentsOf: URL(fileURLWithPath: png)))).image
        for mode in ["fast", "quality"] {
            let rects = try RegionProposals.selectiveSearch(decoded, mode: mode == "fast" ? .fast : .quality)
            let (status, out, err) = try EvalCommandModelTests.run(["proposals", "--method", "selective-search", "--mode", mode, png])
            XCTAssertEqual(status, 0, err)
            let entry = try XCTUnwrap((JSONSerialization.jsonObject(with: out) as? [[String: Any]])?.first)
            XCTAssertEqual(entry["width"] as? Int, 80)
            XCTAssertEqual(entry["height"] as? Int, 60)
            XCTAssertEqual(entry["proposals"] as? [[Int]], rects.map { [$0.x, $0.y, $0.x + $0.width, $0.y + $0.height] })
        }
        let rcnn = try XCTUnwrap(try ModelLoader.load(contentsOf: Self.tiny) as? FasterRCNN)
        let boxes = try RegionProposals.selectiveSearch(decoded, mode: .fast).prefix(RegionProposals.fastRCNNCount).map(\.box)
        let expected = try rcnn.detect(decoded, proposals: Array(boxes), pooling: .align, options: DetectOptions(confidence: 0)).detections
        let (status, out, err) = try EvalCommandModelTests.run(["detect", "--weights", Self.tiny, "--conf", "0", "--proposals",
                                                                "selective_search", png])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(try detections(out).count, expected.count)
        XCTAssertFalse(expected.isEmpty)
    }

    func testSelectionErrorsAreClear() throws {
        let png = try image()
        defer { try? FileManager.default.removeItem(atPath: png) }
        let cases: [([String], String)] = [
            (["detect", "--weights", Self.tiny, "--num-classes", "3", png], "--num-classes 3, but the checkpoint's classifier has 91"),
            (["detect", "--weights", Self.tiny, "--arch", "fasterrcnn_resnet50_fpn", png], "backbone.body.conv1.weight"),
            (["detect", "--weights", Self.tiny, "--arch", "nope", png], "unknown --arch 'nope'"),
            (["detect", "--model", "fasterrcnn_resnet50_fpm", "--models-dir", Repository.url("models").path, png],
             "fasterrcnn_resnet50_fpn"),
            (["detect", "--arch", "fasterrcnn_resnet50_fpn", png], "--arch and --num-classes go with --weights"),
        ]
        for (arguments, message) in cases {
            let (status, _, err) = try EvalCommandModelTests.run(arguments)
            XCTAssertNotEqual(status, 0, arguments.joined(separator: " "))
            XCTAssert(err.contains(message), "\(arguments.joined(separator: " ")): \(err)")
        }
    }

    func testModelsListShowsTheManifests() throws {
        let (status, out, err) = try EvalCommandModelTests.run(["models", "list", "--models-dir", Repository.url("models").path])
        XCTAssertEqual(status, 0, err)
        let text = String(decoding: out, as: UTF8.self)
        for arch in FasterRCNNArchitecture.allCases { XCTAssert(text.contains(arch.rawValue), text) }
    }
}
