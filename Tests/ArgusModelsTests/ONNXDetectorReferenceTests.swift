import ArgusDetection
import ArgusImage
import ArgusMask
import ArgusONNX
import Foundation
import XCTest
@testable import ArgusModels
import ArgusTestSupport

/// The shared ONNX files through Argus's whole detect path, against the reference code's detections on the same
/// images (`Fixtures/yolov8/onnx_*.json`, made by tools/gen_yolov8_onnx_fixtures.py with onnxruntime 1.32):
/// YOLOX-Nano with YOLOX's evaluation postprocess, the int8 YOLOv8n/-seg files with Ultralytics' `predict`.
final class ONNXDetectorReferenceTests: XCTestCase {
    nonisolated(unsafe) static var cache: [String: any Detector] = [:]

    func model(_ file: String) throws -> any Detector {
        if let m = Self.cache[file] { return m }
        let m = try ModelLoader.load(contentsOf: try SharedData.path("weights/onnx/\(file)"))
        Self.cache[file] = m
        return m
    }

    static func fixture(_ name: String) throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/yolov8/\(name)", withExtension: "json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func image(_ file: String) throws -> RGBImage {
        try decodeImage(try SharedData.bytes("datasets/coco128/images/train2017/\(file)")).image
    }

    struct Reference {
        let box: Box
        let score: Float
        let classId: Int
        let mask: [String: Any]?
    }

    func references(_ items: [[String: Any]]) -> [Reference] {
        items.map { d in
            let b = (d["box"] as! [Double]).map { Float($0) }
            return Reference(box: Box(x1: b[0], y1: b[1], x2: b[2], y2: b[3]), score: Float(d["score"] as! Double),
                             classId: d["class_id"] as! Int, mask: d["mask"] as? [String: Any])
        }
    }

    /// Greedy one-to-one matching in reference order: same class, IoU >= minIoU, score within tolerance.
    /// Returns, per reference, the matched Argus detection index.
    func match(_ refs: [Reference], _ got: [Detection], minIoU: Float, scoreTolerance: Float) -> [Int?] {
        var used = Set<Int>()
        return refs.map { r in
            var best: Int?
            var bestIoU = minIoU
            for (j, d) in got.enumerated() where !used.contains(j) && d.classId == r.classId
                && abs(d.score - r.score) <= scoreTolerance {
                let o = iou(d.box, r.box)
                if o >= bestIoU { bestIoU = o; best = j }
            }
            if let best { used.insert(best) }
            return best
        }
    }

    func testYOLOXModelInfo() throws {
        let m = try model("yolox_nano.onnx")
        XCTAssertEqual(m.info.name, "yolox_nano")
        XCTAssertEqual(m.info.family, "yolox")
        XCTAssertEqual(m.info.task, .detect)
        XCTAssertEqual(m.info.classNames, COCOCategories.names80, "YOLOX exports carry no names: COCO's 80")
        XCTAssertEqual(m.info.defaults.imageSize, 416)
        XCTAssertThrowsError(try m.detect(try image("000000000036.jpg"), options: DetectOptions(imageSize: 640))) { error in
            XCTAssertTrue("\(error)".contains("fixed 416x416"), "\(error)")
        }
    }

    /// YOLOX's evaluator path (conf 0.01, class-aware NMS 0.65) and its demo path (conf 0.1, class-agnostic NMS
    /// 0.45 with +1): margin-aware (ReferenceMargins.swift) against onnxruntime's own float32 sensitivity (the
    /// fixture's `noise`: the same graph run without graph optimisations), at most 5% borderline.
    func testYOLOXDetectionsMatchYOLOXPostprocess() throws {
        let ref = try Self.fixture("onnx_yolox_nano")
        let m = try model("yolox_nano.onnx")
        for entry in ref["images"] as! [[String: Any]] {
            let file = entry["file"] as! String
            let noise = try XCTUnwrap(entry["noise"] as? [String: Any], "\(file): no noise record (regenerate the fixture)")
            let got = try m.detect(try image(file), options: DetectOptions(confidence: 0.01, iou: 0.65,
                                                                           maxDetections: 10_000)).detections
            let match = ReferenceMatch.check(got.map(ReferenceItem.init), against: try Self.items(entry["detections_eval"]),
                                             noise: try ReferenceNoise(noise["detections_eval"], file), borderlineBound: 0.05,
                                             "yolox_nano \(file) eval")
            let inOrder = match.pairs.filter { $0.key == $0.value }.count
            XCTAssertGreaterThanOrEqual(inOrder + match.borderline.count, match.pairs.count, "\(file): order")
        }
    }

    /// {box, score, class_id} reference detections as ReferenceItems.
    static func items(_ json: Any?) throws -> [ReferenceItem] {
        try XCTUnwrap(json as? [[String: Any]]).map { d in
            let b = try XCTUnwrap(d["box"] as? [Double]).map { Float($0) }
            return ReferenceItem(box: Box(x1: b[0], y1: b[1], x2: b[2], y2: b[3]), score: try XCTUnwrap(d["score"] as? Double),
                                 label: try XCTUnwrap(d["class_id"] as? Int))
        }
    }

    /// Ultralytics' ONNX path on the int8 files (conf 0.05): the integer convolutions are exact in both engines
    /// up to float accumulation order, so nearly every detection matches closely.
    func checkUltralyticsInt8(file: String, fixture: String) throws {
        let ref = try Self.fixture(fixture)
        let m = try model(file)
        XCTAssertEqual(m.info.family, "yolov8")
        XCTAssertEqual(m.info.classNames, COCOCategories.names80, "names from the metadata's dict literal")
        XCTAssertEqual(m.info.defaults.imageSize, 320)
        for entry in ref["images"] as! [[String: Any]] {
            let file = entry["file"] as! String
            let refs = references(entry["detections"] as! [[String: Any]])
            let img = try image(file)
            let got = try m.detect(img, options: DetectOptions(confidence: 0.05, iou: 0.7, maxDetections: 300)).detections
            let matched = match(refs, got, minIoU: 0.99, scoreTolerance: 2e-3)
            let count = matched.compactMap { $0 }.count
            XCTAssertGreaterThanOrEqual(Double(count), 0.97 * Double(refs.count),
                                        "\(file): \(count) of \(refs.count) reference detections matched")
            var maskIoUs: [Double] = []
            for (r, j) in zip(refs, matched) {
                guard let mask = r.mask, let j else { continue }
                let size = mask["size"] as! [Int]
                let want = try RLE(compressed: mask["counts"] as! String, height: size[0], width: size[1])
                let have = try XCTUnwrap(got[j].mask, "a segment model's detection carries a mask")
                XCTAssertEqual([have.height, have.width], [img.height, img.width])
                let (inter, union) = RLE.intersectionAndUnion(have, want)
                maskIoUs.append(union == 0 ? 1 : Double(inter) / Double(union))
            }
            if let worst = maskIoUs.min() {
                XCTAssertGreaterThanOrEqual(worst, 0.95, "\(file): worst mask IoU")
                let sorted = maskIoUs.sorted()
                print("\(file) masks: \(maskIoUs.count), median IoU \(sorted[sorted.count / 2]), worst \(worst)")
            }
            print("\(m.info.name) \(file): \(count)/\(refs.count) matched (argus \(got.count))")
        }
    }

    func testInt8DetectMatchesUltralyticsOnnxruntime() throws {
        try checkUltralyticsInt8(file: "yolov8n_int8_320.onnx", fixture: "onnx_yolov8n_int8_320")
    }

    func testInt8SegmentMatchesUltralyticsOnnxruntime() throws {
        try checkUltralyticsInt8(file: "yolov8n-seg_int8_320.onnx", fixture: "onnx_yolov8n-seg_int8_320")
        XCTAssertEqual(try model("yolov8n-seg_int8_320.onnx").info.task, .segment)
    }

    func testUnrecognisedONNXIsAClearError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("argus-onnx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let garbage = dir.appendingPathComponent("bad.onnx")
        try Data([0x08, 0x07, 0x3a, 0xff, 0xff]).write(to: garbage)
        XCTAssertThrowsError(try ModelLoader.load(contentsOf: garbage.path)) { error in
            XCTAssertTrue("\(error)".contains("bad.onnx"), "\(error)")
        }
        XCTAssertThrowsError(try ModelLoader.load(contentsOf: garbage.path, architecture: "fasterrcnn_resnet50_fpn")) { error in
            XCTAssertTrue("\(error)".contains("--arch"), "\(error)")
        }
    }
}

/// Ultralytics' metadata literals against what Python's `ast.literal_eval` made of the same strings
/// (`metadata_parsed` in onnx_models.json), plus hand-written cases.
final class PythonLiteralTests: XCTestCase {
    func testMetadataOfTheSharedFiles() throws {
        let summary = try ONNXDetectorReferenceTests.fixture("onnx_models")
        var checked = 0
        for model in summary["models"] as! [[String: Any]] {
            let meta = model["metadata_props"] as! [String: String]
            let parsed = model["metadata_parsed"] as! [String: Any]
            guard let names = meta["names"], let imgsz = meta["imgsz"] else { continue }
            let want = parsed["names"] as! [String: String]
            let got = try XCTUnwrap(try PythonLiteral.parse(names).classNames)
            XCTAssertEqual(got.count, want.count)
            for (k, v) in want { XCTAssertEqual(got[Int(k)!], v) }
            XCTAssertEqual(try PythonLiteral.parse(imgsz).ints, parsed["imgsz"] as? [Int])
            let args = try PythonLiteral.parse(meta["args"]!)
            XCTAssertEqual(args.dictValue("nms"), .bool(false))
            XCTAssertEqual(args.dictValue("opset"), PythonLiteral.none)
            checked += 1
        }
        XCTAssertEqual(checked, 2)
    }

    func testHandWrittenLiterals() throws {
        XCTAssertEqual(try PythonLiteral.parse(#"{0: "kid's toy", 1: 'a\'b', 2: 'caf\xe9'}"#).classNames,
                       ["kid's toy", "a'b", "café"])
        XCTAssertEqual(try PythonLiteral.parse("(640, 480)").ints, [640, 480])
        XCTAssertEqual(try PythonLiteral.parse(" 32 ").ints, [32])
        XCTAssertNil(try PythonLiteral.parse("{1: 'a'}").classNames, "keys must be 0..<n")
        XCTAssertNil(try PythonLiteral.parse("{0: 'a', 0: 'b'}").classNames)
        for bad in ["{0: 'a'", "[1, 2", "__import__('os')", "'open", "{0 'a'}", String(repeating: "[", count: 100)] {
            XCTAssertThrowsError(try PythonLiteral.parse(bad), bad)
        }
    }
}

/// A custom-class export made the way the shared int8 files were (Ultralytics ONNX export of the committed 3-class
/// tiny seg checkpoint, then onnxruntime quantize_dynamic): class names come from the metadata, and Argus's
/// detections and masks equal Ultralytics + onnxruntime's (`onnx_yolov8n_seg_tiny_custom3_int8_320.json`).
final class CustomClassONNXTests: XCTestCase {
    func testCustomClassInt8SegmentExport() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/yolov8/yolov8n_seg_tiny_custom3_int8_320",
                                                  withExtension: "onnx"))
        let model = try ModelLoader.load(contentsOf: url.path)
        XCTAssertEqual(model.info.classNames, ["helmet", "vest", "person"])
        XCTAssertEqual(model.info.task, .segment)
        let ref = try ONNXDetectorReferenceTests.fixture("onnx_yolov8n_seg_tiny_custom3_int8_320")
        var total = 0
        for entry in ref["images"] as! [[String: Any]] {
            let file = entry["file"] as! String
            let image = try decodeImage(try SharedData.bytes("datasets/coco128/images/train2017/\(file)")).image
            let got = try model.detect(image, options: DetectOptions(confidence: 0.05, iou: 0.7, maxDetections: 300)).detections
            let want = entry["detections"] as! [[String: Any]]
            XCTAssertEqual(got.count, want.count, file)
            for (d, w) in zip(got, want) {
                let b = (w["box"] as! [Double]).map { Float($0) }
                XCTAssertGreaterThanOrEqual(iou(d.box, Box(x1: b[0], y1: b[1], x2: b[2], y2: b[3])), 0.999, file)
                XCTAssertEqual(d.score, Float(w["score"] as! Double), accuracy: 1e-4, file)
                XCTAssertEqual(d.label, w["label"] as? String, file)
                if let mask = w["mask"] as? [String: Any] {
                    let size = mask["size"] as! [Int]
                    let want = try RLE(compressed: mask["counts"] as! String, height: size[0], width: size[1])
                    let (inter, union) = RLE.intersectionAndUnion(try XCTUnwrap(d.mask), want)
                    XCTAssertGreaterThanOrEqual(Double(inter) / Double(max(union, 1)), 0.99, file)
                }
            }
            total += want.count
        }
        XCTAssertGreaterThan(total, 10)
    }
}

/// What `argus inspect` lists for an ONNX file, against the onnx package's reading of the shared files
/// (`onnx_models.json`: ir_version, opset, inputs, outputs, metadata, op counts).
final class ONNXSummaryTests: XCTestCase {
    func testDeclarationsMatchTheOnnxPackage() throws {
        let summary = try ONNXDetectorReferenceTests.fixture("onnx_models")
        for entry in summary["models"] as! [[String: Any]] {
            let file = entry["file"] as! String
            let model = try ONNXModel(contentsOf: try SharedData.path("weights/onnx/\(file)"))
            XCTAssertEqual(model.irVersion, entry["ir_version"] as? Int, file)
            XCTAssertEqual(model.opsetVersion, (entry["opset_import"] as? [String: Int])?["ai.onnx"], file)
            XCTAssertEqual(model.operatorCounts, entry["op_counts"] as? [String: Int], file)
            XCTAssertEqual(model.metadata, entry["metadata_props"] as? [String: String], file)
            for (got, want) in zip(model.inputs + model.outputs,
                                   (entry["inputs"] as! [[String: Any]]) + (entry["outputs"] as! [[String: Any]])) {
                XCTAssertEqual(got.name, want["name"] as? String, file)
                XCTAssertEqual(got.elementType, want["elem_type"] as? String, file)
                XCTAssertEqual(got.shape, (want["shape"] as! [Any]).map { $0 as? Int }, file)
            }
        }
    }
}
