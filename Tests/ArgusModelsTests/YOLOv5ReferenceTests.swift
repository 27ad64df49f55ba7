import ArgusDetection
import ArgusImage
import ArgusTensor
import Foundation
import XCTest
@testable import ArgusModels
import ArgusTestSupport

/// Compares Argus's YOLOv5n with what the official ultralytics/yolov5 code produced for the same
/// checkpoint and images (`../shared/reference/yolov5n`, made with detect.py's pipeline), margin-aware: the
/// reference's own float32 noise (rerun in float64) is in `Fixtures/yolov5_yolov5n_noise.json`, made by
/// `tools/gen_yolov5_fixtures.py --yolov5n-noise` (see YOLOMargins.swift).
final class YOLOv5ReferenceTests: XCTestCase {
    static let weights = "weights/ultralytics/yolov5n.pt"
    nonisolated(unsafe) static var cached: YOLOv5?

    func model() throws -> YOLOv5 {
        if let m = Self.cached { return m }
        let path = try SharedData.path(Self.weights)
        let m = try XCTUnwrap(try ModelLoader.load(contentsOf: path) as? YOLOv5)
        Self.cached = m
        return m
    }

    static func noise() throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "yolov5_yolov5n_noise", withExtension: "json", subdirectory: "Fixtures"),
                                "Fixtures/yolov5_yolov5n_noise.json is missing (tools/gen_yolov5_fixtures.py --yolov5n-noise)")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func imagePath(set: String, file: String) -> String {
        set == "coco128" ? "datasets/coco128/images/train2017/\(file)" : "datasets/coco-val96/images/val2017/\(file)"
    }

    func testModelInfo() throws {
        let m = try model()
        XCTAssertEqual(m.info.name, "yolov5n")
        XCTAssertEqual(m.info.family, "yolov5")
        XCTAssertEqual(m.info.classNames.count, 80)
        XCTAssertEqual(m.info.classNames.first, "person")
        XCTAssertEqual(m.info.stride, 32)
        XCTAssertEqual(m.network.detect.levels.map(\.stride), [8, 16, 32])
        // P3 anchors in pixels, from the stored grid-unit buffer times the stride.
        XCTAssertEqual(m.network.detect.levels[0].anchors.map { [$0.0, $0.1] }, [[10, 13], [16, 30], [33, 23]])
        XCTAssertEqual(m.network.detect.levels[2].anchors.map { [$0.0, $0.1] }, [[116, 90], [156, 198], [373, 326]])
    }

    /// The decoded head output (what NMS receives) against the reference's debug dumps: each value within 10x
    /// the reference's float32 noise of its column kind (relative to max(1, |v|), at least 1e-5), the mean
    /// within 10x its noise (at least 1e-5 relative).
    func testRawHeadOutputMatchesReference() throws {
        let m = try model()
        let noise = try XCTUnwrap(try Self.noise()["debug"] as? [String: Any])
        for stem in ["000000000139", "000000005503", "000000000491"] {
            let ref = try SharedData.json("reference/yolov5n/debug/\(stem).json")
            let n = try XCTUnwrap(noise[stem] as? [String: Any], "\(stem): no noise record")
            let kinds = try XCTUnwrap(n["head"] as? [String: Any])
            let tolerance = ["xywh", "obj", "cls"].map { YOLOMargins.headTolerance(kinds[$0]) }
            let set = try XCTUnwrap(ref["set"] as? String)
            let image = try decodeImage(try SharedData.bytes(imagePath(set: set, file: "\(stem).jpg"))).image
            let boxed = letterbox(image, newShape: (640, 640), auto: true, stride: 32)
            let input = ref["input"] as! [String: Any]
            XCTAssertEqual([1, 3, boxed.image.height, boxed.image.width], input["shape"] as? [Int], stem)
            let x = Tensor(shape: [1, 3, boxed.image.height, boxed.image.width], storage: toCHWFloat(boxed.image))
            let out = try m.network(x)
            try YOLOv5CheckpointTests.checkKeptRows(m, x, out, stem)
            let head = ref["raw_head_output"] as! [String: Any]
            XCTAssertEqual(out.rows, (head["shape"] as! [Int])[1], stem)
            var worst = 0.0
            func check(row: Int, expected: [Double], _ what: String) {
                for (k, e) in expected.enumerated() {
                    let a = Double(out.values[row * 85 + k]), tol = tolerance[k < 4 ? 0 : k == 4 ? 1 : 2]
                    worst = max(worst, abs(a - e) / max(1, abs(e)) / tol)
                    XCTAssertEqual(a, e, accuracy: tol * max(1, abs(e)), "\(stem) \(what) row \(row) col \(k)")
                }
            }
            for (r, values) in (head["first_20_rows"] as! [[Double]]).enumerated() { check(row: r, expected: values, "first rows") }
            for item in head["top10_rows_by_obj"] as! [[String: Any]] {
                check(row: item["row"] as! Int, expected: item["values"] as! [Double], "top-obj")
            }
            let mean = out.values.reduce(0.0) { $0 + Double($1) } / Double(out.values.count)
            let refMean = head["mean"] as! Double
            XCTAssertEqual(mean, refMean, accuracy: YOLOMargins.headTolerance(n["mean"]) * max(1, abs(refMean)), stem)
            print("yolov5n \(stem) head: relative tolerances xywh/obj/cls \(tolerance), worst difference \(worst) of its tolerance")
        }
    }

    /// Every image at detect.py settings, margin-aware (YOLOMargins.checkDetections): every reference detection
    /// clear of the reference's own noise matched (class, score and corners within 10x that noise); borderline
    /// ones at most 2% of all of them (1053; per image they are not bounded: most lists are a handful of items).
    func testDetectSettingMatchesReferenceOnAllSharedImages() throws {
        let m = try model()
        let noise = try XCTUnwrap(try Self.noise()["detect"] as? [String: Any])
        let dir = try SharedData.path("reference/yolov5n/detect")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertGreaterThan(files.count, 200)
        var matched = 0, total = 0, borderline = 0
        for file in files {
            let ref = try SharedData.json("reference/yolov5n/detect/\(file)")
            let set = ref["set"] as! String, name = ref["file_name"] as! String
            let record = try XCTUnwrap(noise[(file as NSString).deletingPathExtension] as? [String: Any], "\(file): no noise record")
            let image = try decodeImage(try SharedData.bytes(imagePath(set: set, file: name))).image
            let got = try m.detect(image, options: DetectOptions()).detections
            let expected = ref["detections"] as! [[String: Any]]
            let match = try YOLOMargins.checkDetections(got.map(ReferenceItem.init), against: YOLOMargins.items(expected),
                                                        noise: record, borderlineBound: 1, name)
            total += expected.count
            matched += match.pairs.count
            borderline += match.borderline.count
            XCTAssertEqual(got.map(\.score), got.map(\.score).sorted(by: >), "\(name): not sorted by score")
        }
        print("yolov5n detect: \(matched)/\(total) matched, \(borderline) borderline")
        XCTAssertGreaterThan(total, 1000)
        XCTAssertLessThanOrEqual(Double(borderline), 0.02 * Double(total), "borderline reference detections")
    }
}
