import ArgusDetection
import ArgusImage
import ArgusTensor
import ArgusWeights
import Foundation
import XCTest
@testable import ArgusModels
import ArgusTestSupport

/// YOLOv5 checkpoints other than the official yolov5n: tiny models of other layouts with custom
/// classes, saved the way YOLOv5's training saves them, against what the official ultralytics/yolov5
/// 7.0 code detects with them (`Fixtures/<name>.json`, made by tools/gen_yolov5_fixtures.py).
///
/// - `yolov5_v6_custom3`: v6.0 layout (6x6 Conv stem, C3, SPPF), depth 0.5, 3 classes, names as a dict.
/// - `yolov5_v50_leaky_1class`: v5.0 layout (Focus, SPP), `activation: nn.LeakyReLU(0.1)`, a plain
///   Bottleneck repeated (nn.Sequential), 1 class, names as a list.
/// - `yolov5_p6_ema`: four detection levels (stride 64), AutoAnchor-changed anchors, a mid-training
///   file whose `ema` (used by the reference) differs from its `model`.
/// - `yolov5_p34_anchor_count`: two levels (stride 16) and `anchors: 3` in the yaml (the anchors live
///   only in the Detect buffer), as hub/yolov5-p2/p34/p6/p7.yaml train. Its three tests fail while
///   `YOLOConfig` rejects an anchor count; with the same file's yaml given the buffer's anchors as a
///   list, Argus matches this fixture.
///
/// Each fixture has one synthetic image stored with it (runs anywhere) and two coco128 images read
/// from ../shared (skipped when absent). Tolerances are 10x the reference's own float32 noise, each image's
/// `noise` record (`gen_yolov5_fixtures.py --noise-only`, YOLOMargins.swift).
final class YOLOv5CheckpointTests: XCTestCase {
    static let names = ["yolov5_v6_custom3", "yolov5_v50_leaky_1class", "yolov5_p6_ema", "yolov5_p34_anchor_count"]

    // MARK: - Loading: classes, strides and anchors come from the checkpoint

    func testV6CustomClassesLoad() throws { try checkModelInfo("yolov5_v6_custom3") }
    func testV50LeakyOneClassLoads() throws { try checkModelInfo("yolov5_v50_leaky_1class") }
    func testP6EMALoads() throws { try checkModelInfo("yolov5_p6_ema") }
    func testAnchorCountYamlLoads() throws { try checkModelInfo("yolov5_p34_anchor_count") }

    // MARK: - Raw head rows and detections on the stored synthetic image

    func testV6CustomClassesOnSyntheticImage() throws { try compare("yolov5_v6_custom3", source: "fixture") }
    func testV50LeakyOneClassOnSyntheticImage() throws { try compare("yolov5_v50_leaky_1class", source: "fixture") }
    func testP6EMAOnSyntheticImage() throws { try compare("yolov5_p6_ema", source: "fixture") }
    func testAnchorCountYamlOnSyntheticImage() throws { try compare("yolov5_p34_anchor_count", source: "fixture") }

    // MARK: - The same on coco128 photos from ../shared

    func testV6CustomClassesOnCOCOImages() throws { try compare("yolov5_v6_custom3", source: "coco128") }
    func testV50LeakyOneClassOnCOCOImages() throws { try compare("yolov5_v50_leaky_1class", source: "coco128") }
    func testP6EMAOnCOCOImages() throws { try compare("yolov5_p6_ema", source: "coco128") }
    func testAnchorCountYamlOnCOCOImages() throws { try compare("yolov5_p34_anchor_count", source: "coco128") }

    /// The fixtures are real checkpoints: the `ema` one pickles both modules, and they differ.
    func testEMACheckpointHoldsADifferentRawModel() throws {
        let checkpoint = try Checkpoint.load(contentsOf: try fixture("yolov5_p6_ema", "pt").path)
        let ema = try XCTUnwrap(checkpoint.root["ema"]), raw = try XCTUnwrap(checkpoint.root["model"])
        XCTAssertNotNil(ema["yaml"])
        XCTAssertNotNil(raw["yaml"])
        XCTAssertNotNil(raw["_modules"])
        // The tensors handed out are the EMA's: the raw model's Detect objectness bias is -9 everywhere.
        let bias = try checkpoint.tensor("model.21.m.0.bias")
        XCTAssertFalse(stride(from: 4, to: bias.storage.count, by: 10).allSatisfy { bias.storage[$0] == -9 })
    }

    // MARK: - Helpers

    func fixture(_ name: String, _ ext: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"),
                      "\(name).\(ext) is missing from the test bundle's Fixtures")
    }

    func reference(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: try fixture(name, "json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func model(_ name: String) throws -> YOLOv5 {
        let loaded = try ModelLoader.load(contentsOf: try fixture(name, "pt").path)
        return try XCTUnwrap(loaded as? YOLOv5, "\(name) did not load as YOLOv5")
    }

    func checkModelInfo(_ name: String) throws {
        let ref = try reference(name)
        let m = try model(name)
        let names = ref["names"] as! [String]
        let strides = (ref["strides"] as! [Double]).map(Float.init)
        XCTAssertEqual(m.info.name, name)
        XCTAssertEqual(m.info.family, "yolov5")
        XCTAssertEqual(m.info.classNames, names)
        XCTAssertEqual(m.network.detect.classCount, ref["nc"] as! Int)
        XCTAssertEqual(m.network.detect.levels.map(\.stride), strides)
        XCTAssertEqual(m.info.stride, Int(strides.max()!))
        // Anchors in pixels: the Detect buffer (AutoAnchor may have changed it) times the stride.
        let anchors = ref["anchors_px"] as! [[[Double]]]
        XCTAssertEqual(m.network.detect.levels.count, anchors.count)
        for (level, expected) in zip(m.network.detect.levels, anchors) {
            XCTAssertEqual(level.anchors.count, expected.count, name)
            for (a, e) in zip(level.anchors, expected) {
                XCTAssertEqual(Double(a.0), e[0], accuracy: 1e-3, name)
                XCTAssertEqual(Double(a.1), e[1], accuracy: 1e-3, name)
            }
        }
    }

    func image(_ entry: [String: Any]) throws -> RGBImage {
        let file = entry["file"] as! String
        let bytes: [UInt8]
        if entry["source"] as! String == "fixture" {
            let url = try fixture((file as NSString).deletingPathExtension, (file as NSString).pathExtension)
            bytes = [UInt8](try Data(contentsOf: url))
        } else {
            bytes = try SharedData.bytes("datasets/coco128/images/train2017/\(file)")
        }
        return try decodeImage(bytes).image
    }

    /// For every image of `source`: the letterboxed input shape, the first and highest-objectness rows
    /// of the decoded head and detect.py's detections at the image's threshold, against the reference's own
    /// float32 noise (the image's `noise` record, see YOLOMargins.swift).
    func compare(_ name: String, source: String) throws {
        let ref = try reference(name)
        let entries = (ref["images"] as! [[String: Any]]).filter { $0["source"] as! String == source }
        XCTAssertFalse(entries.isEmpty)
        let pictures = try entries.map { try image($0) }  // skips before loading when ../shared is absent
        let m = try model(name)
        for (entry, picture) in zip(entries, pictures) {
            let file = "\(name) \(entry["file"] as! String)"
            XCTAssertEqual([picture.width, picture.height], [entry["width"] as! Int, entry["height"] as! Int], file)
            let noise = try YOLOMargins.record(entry, file)
            try checkHead(m, picture, entry, noise, file)
            try checkDetections(m, picture, entry, noise, iou: ref["iou"] as! Double, maxDetections: ref["max_det"] as! Int, file)
        }
    }

    /// Head rows: each value within 10x the reference's float32 noise of its column kind (xywh, obj, cls:
    /// largest |float32 - float64| / max(1, |v|) over the listed rows), at least 1e-5, relative to max(1, |v|).
    func checkHead(_ m: YOLOv5, _ picture: RGBImage, _ entry: [String: Any], _ noise: [String: Any], _ file: String) throws {
        let boxed = letterbox(picture, newShape: (640, 640), auto: true, stride: m.info.stride)
        let shape = [1, 3, boxed.image.height, boxed.image.width]
        XCTAssertEqual(shape, entry["input_shape"] as? [Int], file)
        let x = Tensor(shape: shape, storage: toCHWFloat(boxed.image))
        let out = try m.network(x)
        try Self.checkKeptRows(m, x, out, file)
        let head = entry["head"] as! [String: Any]
        let headShape = head["shape"] as! [Int]
        let width = headShape[2]
        XCTAssertEqual(out.rows, headShape[1], file)
        XCTAssertEqual(out.values.count, headShape[1] * width, file)
        guard out.values.count == headShape[1] * width else { return }
        let kinds = try XCTUnwrap(noise["head"] as? [String: Any], "\(file): no head noise")
        let tolerance = ["xywh", "obj", "cls"].map { YOLOMargins.headTolerance(kinds[$0]) }
        var worst = 0.0
        func check(row: Int, _ expected: [Double], _ what: String) {
            XCTAssertEqual(expected.count, width)
            for (k, e) in expected.enumerated() {
                let got = Double(out.values[row * width + k]), tol = tolerance[k < 4 ? 0 : k == 4 ? 1 : 2]
                worst = max(worst, abs(got - e) / max(1, abs(e)) / tol)
                XCTAssertEqual(got, e, accuracy: tol * max(1, abs(e)), "\(file) \(what) row \(row) column \(k)")
            }
        }
        for (r, values) in (head["first_rows"] as! [[Double]]).enumerated() { check(row: r, values, "first rows") }
        for item in head["top_rows_by_obj"] as! [[String: Any]] {
            check(row: item["row"] as! Int, item["values"] as! [Double], "top objectness")
        }
        print("\(file) head: relative tolerances xywh/obj/cls \(tolerance), worst difference \(worst) of its tolerance")
    }

    /// The head with an objectness threshold (what `detect` runs) gives exactly the full head's rows whose objectness
    /// is above it, in order, bit for bit: thresholds that keep none, a few, most and (nearly) all rows.
    static func checkKeptRows(_ m: YOLOv5, _ x: Tensor, _ full: (rows: Int, values: [Float]), _ file: String) throws {
        let width = m.network.detect.outputsPerAnchor
        let objectness = (0..<full.rows).map { full.values[$0 * width + 4] }
        let sorted = objectness.sorted()
        // Thresholds at kept objectness values themselves (a row equal to the threshold is dropped: strict >).
        let thresholds: [Float] = [0.25, 0.001, 0, 1, sorted[sorted.count / 2], sorted[sorted.count - 3]]
        for t in thresholds {
            let kept = try m.network(x, objectnessAbove: t)
            let want = (0..<full.rows).filter { objectness[$0] > t }
            XCTAssertEqual(kept.rows, want.count, "\(file): rows kept above \(t)")
            guard kept.rows == want.count, kept.values.count == want.count * width else { continue }
            for (r, row) in want.enumerated() {
                for k in 0..<width where kept.values[r * width + k].bitPattern != full.values[row * width + k].bitPattern {
                    XCTFail("\(file): above \(t), kept row \(r) (row \(row)) column \(k): \(kept.values[r * width + k]) vs \(full.values[row * width + k])")
                    return
                }
            }
        }
    }

    /// detect.py's detections, margin-aware (YOLOMargins.checkDetections): at most 5% of the reference items
    /// borderline (about 40 per image); sorted by score.
    func checkDetections(_ m: YOLOv5, _ picture: RGBImage, _ entry: [String: Any], _ noise: [String: Any], iou: Double,
                         maxDetections: Int, _ file: String) throws {
        let conf = Float(entry["conf"] as! Double)
        let got = try m.detect(picture, options: DetectOptions(confidence: conf, iou: iou, maxDetections: maxDetections,
                                                               imageSize: 640)).detections
        let expected = entry["detections"] as! [[String: Any]]
        XCTAssertGreaterThanOrEqual(expected.count, 8, "\(file): the fixture should have tens of detections")
        let match = try YOLOMargins.checkDetections(got.map(ReferenceItem.init), against: YOLOMargins.items(expected),
                                                    noise: noise, borderlineBound: 0.05, "\(file) detections")
        for (r, i) in match.pairs { XCTAssertEqual(got[i].label, expected[r]["label"] as? String, "\(file): label of \(r)") }
        XCTAssertEqual(got.map(\.score), got.map(\.score).sorted(by: >), "\(file): not sorted by score")
    }
}
