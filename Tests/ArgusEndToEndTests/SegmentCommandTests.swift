import ArgusImage
import ArgusMask
import ArgusModels
import ArgusTestSupport
import ArgusWeights
import Foundation
import XCTest

/// `argus segment` as the README shows it, with the committed tiny torchvision LRASPP: the executable's label map
/// equals the in-process model's, --render/--output write files, --format coco lists one RLE per class, and the
/// selection errors (a box model, instance options on a semantic model, argus detect with a semantic model) are clear.
final class SegmentCommandTests: XCTestCase {
    static let semantic = Repository.url("Tests/ArgusModelsTests/Fixtures/torchvision_seg/semantic_mnv3_tiny.pt").path
    static let boxes = Repository.url("Tests/ArgusModelsTests/Fixtures/torchvision/fasterrcnn_mnv3_tiny.pt").path

    func temporary(_ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("argus-segment-\(UUID().uuidString)\(suffix)").path
    }

    /// A 72x54 PNG named with a numeric stem (the COCO image id for --format coco).
    func image() throws -> String {
        let directory = temporary("")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var pixels = [UInt8](repeating: 0, count: 72 * 54 * 3)
        for i in 0..<(72 * 54) { pixels[3 * i] = UInt8(i % 241); pixels[3 * i + 1] = UInt8((i / 72) * 4); pixels[3 * i + 2] = UInt8((i * 7) % 256) }
        let path = (directory as NSString).appendingPathComponent("42.png")
        FileManager.default.createFile(atPath: path, contents: Data(try encodePNG(RGBImage(width: 72, height: 54, pixels: pixels))))
        return path
    }

    static func labels(fromPalettePNG base64: Any?) throws -> [UInt8] {
        let data = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(base64 as? String)))
        let image = try decodeImage([UInt8](data)).image
        var index: [Int: UInt8] = [:]
        for (i, c) in SegmentationPalette.pascalVOC(count: 256).enumerated() { index[Int(c.r) << 16 | Int(c.g) << 8 | Int(c.b)] = UInt8(i) }
        return try (0..<(image.width * image.height)).map { i in
            try XCTUnwrap(index[Int(image.pixels[3 * i]) << 16 | Int(image.pixels[3 * i + 1]) << 8 | Int(image.pixels[3 * i + 2])])
        }
    }

    func testSemanticLabelMapRenderAndCOCO() throws {
        let png = try image()
        defer { try? FileManager.default.removeItem(atPath: (png as NSString).deletingLastPathComponent) }
        let model = try TorchvisionSegmenter.load(try Checkpoint.load(contentsOf: Self.semantic), architecture: .lrasppMobileNetV3Large,
                                                  name: "semantic_mnv3_tiny")
        let expected = try model.segment(try decodeImage([UInt8](Data(contentsOf: URL(fileURLWithPath: png)))).image,
                                         options: SegmentOptions(imageSize: 520)).labels  // torchvision's preset size

        let render = temporary("-render"), output = temporary(".json")
        defer { try? FileManager.default.removeItem(atPath: render); try? FileManager.default.removeItem(atPath: output) }
        let (status, _, err) = try EvalCommandModelTests.run(["segment", "--weights", Self.semantic, "--arch", "lraspp_mobilenet_v3_large",
                                                              "--render", render, "--output", output,
                                                              (png as NSString).deletingLastPathComponent])
        XCTAssertEqual(status, 0, err)
        let list = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output))) as? [[String: Any]])
        XCTAssertEqual(list.count, 1)
        XCTAssertEqual(list[0]["file"] as? String, png)
        XCTAssertEqual(try Self.labels(fromPalettePNG: list[0]["label_map"]), expected.labels)
        let classes = try XCTUnwrap(list[0]["classes"] as? [[String: Any]])
        XCTAssertEqual(classes.reduce(0) { $0 + ($1["pixels"] as! Int) }, 72 * 54)
        let rendered = try decodeImage([UInt8](Data(contentsOf: URL(fileURLWithPath: (render as NSString).appendingPathComponent("42.png"))))).image
        XCTAssertEqual([rendered.width, rendered.height], [72, 54])

        let (s2, out2, err2) = try EvalCommandModelTests.run(["segment", "--weights", Self.semantic, "--arch", "lraspp_mobilenet_v3_large",
                                                              "--format", "coco", "--mask-format", "rle", png])
        XCTAssertEqual(s2, 0, err2)
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: out2) as? [[String: Any]])
        XCTAssertEqual(results.map { $0["image_id"] as? Int }, Array(repeating: 42, count: results.count))
        for entry in results {
            let c = try XCTUnwrap(entry["category_id"] as? Int)
            let seg = try XCTUnwrap(entry["segmentation"] as? [String: Any])
            let rle = try RLE(compressed: try XCTUnwrap(seg["counts"] as? String), height: 54, width: 72)
            XCTAssertEqual(rle.decodeRowMajor(), expected.labels.map { Int($0) == c ? 1 : 0 }, "class \(c)")
        }
    }

    func testSelectionErrorsAreClear() throws {
        let png = try image()
        defer { try? FileManager.default.removeItem(atPath: (png as NSString).deletingLastPathComponent) }
        let cases: [([String], String)] = [
            (["segment", "--weights", Self.boxes, png], "does not produce masks"),
            (["segment", "--weights", Self.semantic, "--arch", "lraspp_mobilenet_v3_large", "--conf", "0.5", png],
             "conf tune instance detections"),
            (["segment", "--weights", Self.semantic, "--arch", "lraspp_mobilenet_v3_large", "--mask-format", "svg", png],
             "mask_format must be one of rle, polygon, png"),
            (["segment", "--weights", Self.semantic, "--arch", "lraspp_mobilenet_v3_large", "--semantic-weights", Self.semantic, png],
             "both named"),
            (["detect", "--weights", Self.semantic, "--arch", "lraspp_mobilenet_v3_large", png], "argus segment"),
            (["segment", "--weights", Self.semantic, "/nonexistent/dir"], "no such file"),
        ]
        for (arguments, message) in cases {
            let (status, _, err) = try EvalCommandModelTests.run(arguments)
            XCTAssertNotEqual(status, 0, arguments.joined(separator: " "))
            XCTAssert(err.contains(message), "\(arguments.joined(separator: " ")): \(err)")
        }
    }
}
