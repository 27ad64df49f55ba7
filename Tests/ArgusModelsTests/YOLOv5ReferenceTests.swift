import ArgusDetection
import ArgusImage
import ArgusTensor
import Foundation
import XCTest
@testable import ArgusModels

/// Compares Argus's YOLOv5n with what the official ultralytics/yolov5 code produced for the same
/// checkpoint and images (`../shared/reference/yolov5n`, made with detect.py's pipeline).
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

    /// The decoded head output (what NMS receives) against the reference's debug dumps.
    func testRawHeadOutputMatchesReference() throws {
        let m = try model()
        for stem in ["000000000139", "000000005503", "000000000491"] {
            let ref = try SharedData.json("reference/yolov5n/debug/\(stem).json")
            let set = try XCTUnwrap(ref["set"] as? String)
            let image = try decodeImage(try SharedData.bytes(imagePath(set: set, file: "\(stem).jpg"))).image
            let boxed = letterbox(image, newShape: (640, 640), auto: true, stride: 32)
            let input = ref["input"] as! [String: Any]
            XCTAssertEqual([1, 3, boxed.image.height, boxed.image.width], input["shape"] as? [Int], stem)
            let x = Tensor(shape: [1, 3, boxed.image.height, boxed.image.width], storage: toCHWFloat(boxed.image))
            let out = try m.network(x)
            let head = ref["raw_head_output"] as! [String: Any]
            XCTAssertEqual(out.rows, (head["shape"] as! [Int])[1], stem)
            func check(row: Int, expected: [Double], _ what: String) {
                for (k, e) in expected.enumerated() {
                    let a = Double(out.values[row * 85 + k])
                    XCTAssertEqual(a, e, accuracy: 1e-4 * max(1, abs(e)), "\(stem) \(what) row \(row) col \(k)")
                }
            }
            for (r, values) in (head["first_20_rows"] as! [[Double]]).enumerated() { check(row: r, expected: values, "first rows") }
            for item in head["top10_rows_by_obj"] as! [[String: Any]] {
                check(row: item["row"] as! Int, expected: item["values"] as! [Double], "top-obj")
            }
            let mean = out.values.reduce(0.0) { $0 + Double($1) } / Double(out.values.count)
            XCTAssertEqual(mean, head["mean"] as! Double, accuracy: 1e-4 * abs(head["mean"] as! Double), stem)
        }
    }

    /// Every image at detect.py settings: every reference detection matched (same class, box within
    /// 0.5 px, score within 1e-3) and no extra detections except within 1e-3 of the threshold.
    func testDetectSettingMatchesReferenceOnAllSharedImages() throws {
        let m = try model()
        let dir = try SharedData.path("reference/yolov5n/detect")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertGreaterThan(files.count, 200)
        var matched = 0, total = 0
        for file in files {
            let ref = try SharedData.json("reference/yolov5n/detect/\(file)")
            let set = ref["set"] as! String, name = ref["file_name"] as! String
            let image = try decodeImage(try SharedData.bytes(imagePath(set: set, file: name))).image
            let got = try m.detect(image, options: DetectOptions()).detections
            var used = Set<Int>()
            for r in ref["detections"] as! [[String: Any]] {
                total += 1
                let box = (r["box"] as! [Double]).map(Float.init), score = Float(r["score"] as! Double)
                let cls = r["class_id"] as! Int
                let hit = got.indices.first { i in
                    !used.contains(i) && got[i].classId == cls && abs(got[i].score - score) <= 1e-3
                        && zip([got[i].box.x1, got[i].box.y1, got[i].box.x2, got[i].box.y2], box).allSatisfy { abs($0 - $1) <= 0.5 }
                }
                if let hit { used.insert(hit); matched += 1 } else {
                    XCTFail("\(name): reference detection \(r["label"]!) \(score) \(box) not found")
                }
            }
            for i in got.indices where !used.contains(i) {
                XCTAssertLessThanOrEqual(got[i].score, 0.25 + 1e-3, "\(name): extra detection \(got[i])")
            }
            XCTAssertEqual(got.map(\.score), got.map(\.score).sorted(by: >), "\(name): not sorted by score")
        }
        XCTAssertEqual(matched, total)
    }
}
