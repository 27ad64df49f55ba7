import ArgusDetection
import ArgusImage
import ArgusMask
import ArgusTensor
import ArgusWeights
import Foundation
import XCTest
@testable import ArgusModels
import ArgusTestSupport

/// Compares Argus's YOLOv8 (detect and segment, from Ultralytics `.pt` checkpoints) with Ultralytics 8.4.190
/// `predict` on the same checkpoints and coco128 images: Fixtures/yolov8/*.json, made by
/// tools/gen_yolov8_fixtures.py (see the README there). With `ARGUS_YOLOV8_FULL=DIR` (written by
/// `tools/gen_yolov8_fixtures.py --full DIR`) the real-size yolov8n / yolov8n-seg are compared too. Tolerances
/// are 10x the reference's own float32 noise, each image's `noise` record (YOLOMargins.swift).
final class YOLOv8ReferenceTests: XCTestCase {
    static func fixtureURL(_ file: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/yolov8/\(file)", withExtension: nil), "missing fixture \(file)")
    }

    static func json(_ url: URL) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func testTinyDetectMatchesUltralytics() throws {
        try compare(checkpoint: Self.fixtureURL("yolov8n_tiny.pt").path, reference: Self.fixtureURL("yolov8n_tiny.json"))
    }

    func testTinySegmentCustomClassesMatchesUltralytics() throws {
        try compare(checkpoint: Self.fixtureURL("yolov8n_seg_tiny_custom3.pt").path,
                    reference: Self.fixtureURL("yolov8n_seg_tiny_custom3.json"))
    }

    /// The real-size networks, when `ARGUS_YOLOV8_FULL` names the directory gen_yolov8_fixtures.py --full wrote.
    func testFullSizeMatchesUltralytics() throws {
        let dir = try Self.fullDirectory()
        for name in ["yolov8n", "yolov8n-seg"] {
            try compare(checkpoint: "\(dir)/\(name).pt", reference: URL(fileURLWithPath: "\(dir)/\(name).json"))
        }
    }

    static func fullDirectory() throws -> String {
        guard let dir = ProcessInfo.processInfo.environment["ARGUS_YOLOV8_FULL"], !dir.isEmpty else {
            throw XCTSkip("set ARGUS_YOLOV8_FULL to the directory of tools/gen_yolov8_fixtures.py --full DIR")
        }
        guard FileManager.default.fileExists(atPath: "\(dir)/yolov8n.pt") else {
            throw XCTSkip("ARGUS_YOLOV8_FULL=\(dir) has no yolov8n.pt: run tools/gen_yolov8_fixtures.py --full \(dir)")
        }
        return dir
    }

    // MARK: - Loading

    func testLoaderReportsCustomClassNamesAndTask() throws {
        let seg = try ModelLoader.load(contentsOf: Self.fixtureURL("yolov8n_seg_tiny_custom3.pt").path)
        XCTAssertEqual(seg.info.family, "yolov8")
        XCTAssertEqual(seg.info.task, .segment)
        XCTAssertEqual(seg.info.classNames, ["helmet", "vest", "person"])
        XCTAssertEqual(seg.info.stride, 32)
        XCTAssertEqual(seg.info.defaults, DetectDefaults(confidence: 0.25, iou: 0.7, maxDetections: 300, imageSize: 640))
        let det = try ModelLoader.load(contentsOf: Self.fixtureURL("yolov8n_tiny.pt").path)
        XCTAssertEqual(det.info.task, .detect)
        XCTAssertEqual(det.info.classNames.count, 80)
        XCTAssertTrue(det is YOLOv8)
        // The pickled `model.stride` tensor the loader checks the built network against.
        let checkpoint = try Checkpoint.load(contentsOf: Self.fixtureURL("yolov8n_tiny.pt").path)
        let stride = try XCTUnwrap(checkpoint.model?["stride"]?.tensor)
        XCTAssertEqual(try checkpoint.tensor(stride).storage, [8, 16, 32])
    }

    /// A YOLO11 module in the yaml is refused by name, not mis-built.
    func testUnsupportedModuleIsNamed() throws {
        let checkpoint = try Checkpoint.load(contentsOf: Self.fixtureURL("yolov8n_tiny.pt").path)
        let yaml = try XCTUnwrap(checkpoint.model?["yaml"]?.dict)
        var edited = PickleDict()
        for (key, value) in yaml.entries {
            if key.string == "backbone", var rows = value.array, var row = rows[2].array {
                row[2] = .string("C3k2")
                rows[2] = .list(row)
                edited.set(.list(rows), for: key)
            } else {
                edited.set(value, for: key)
            }
        }
        let config = try YOLOConfig(yaml: .dict(edited))
        XCTAssertThrowsError(try YOLOv8Network(config: config, weights: checkpoint)) { error in
            guard case ModelError.malformedConfig(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("C3k2"), message)
            XCTAssertTrue(message.contains("layer 2"), message)
        }
    }

    /// n/s/m/l/x share one yaml; parse_model's scaling of the yolov8.yaml rows for each scale.
    func testScaleArithmeticFollowsParseModel() throws {
        func config(_ scale: String) throws -> YOLOConfig {
            var yaml = PickleDict()
            yaml.set(.int(80), for: .string("nc"))
            var scales = PickleDict()
            for (k, v) in [("n", [0.33, 0.25, 1024.0]), ("s", [0.33, 0.5, 1024]), ("m", [0.67, 0.75, 768]),
                           ("l", [1.0, 1.0, 512]), ("x", [1.0, 1.25, 512])] {
                scales.set(.list(v.map { $0 == 1024 || $0 == 768 || $0 == 512 ? .int(Int($0)) : .float($0) }), for: .string(k))
            }
            yaml.set(.dict(scales), for: .string("scales"))
            yaml.set(.string(scale), for: .string("scale"))
            yaml.set(.list([.list([.int(-1), .int(1), .string("Conv"), .list([.int(64), .int(3), .int(2)])])]), for: .string("backbone"))
            yaml.set(.list([]), for: .string("head"))
            return try YOLOConfig(yaml: .dict(yaml))
        }
        // (scale, C2f n=3 / n=6 repeats, channels 64 / 256 / 1024 after scaling)
        let expected: [(String, Int, Int, [Int])] = [("n", 1, 2, [16, 64, 256]), ("s", 1, 2, [32, 128, 512]),
                                                     ("m", 2, 4, [48, 192, 576]), ("l", 3, 6, [64, 256, 512]),
                                                     ("x", 3, 6, [80, 320, 640])]
        for (scale, n3, n6, widths) in expected {
            let c = try config(scale)
            XCTAssertEqual(c.scale, scale)
            XCTAssertEqual([c.scaledDepth(3), c.scaledDepth(6)], [n3, n6], scale)
            XCTAssertEqual([64, 256, 1024].map(c.scaledWidth), widths, scale)
            XCTAssertEqual(c.anchorsPerLevel, 0)
        }
    }

    // MARK: - Comparison with a reference JSON

    func compare(checkpoint path: String, reference url: URL) throws {
        let ref = try Self.json(url)
        let model = try XCTUnwrap(try ModelLoader.load(contentsOf: path) as? YOLOv8, "\(path) is not loaded as YOLOv8")
        let tag = url.lastPathComponent
        let names = (ref["names"] as! [Any]).map { "\($0)" }
        XCTAssertEqual(model.info.classNames, names, tag)
        XCTAssertEqual(model.info.family, "yolov8")
        XCTAssertEqual(model.info.task, ref["task"] as! String == "segment" ? .segment : .detect, tag)
        XCTAssertEqual(model.network.head.strides.map(Double.init), ref["strides"] as! [Double], tag)
        for im in ref["images"] as! [[String: Any]] {
            let file = im["file"] as! String
            let image = try decodeImage(SharedData.bytes("datasets/coco128/images/train2017/\(file)")).image
            XCTAssertEqual([image.width, image.height], [im["width"] as! Int, im["height"] as! Int])
            let what = "\(tag) \(file)"
            // Letterbox and input tensor.
            let (input, geometry) = model.preprocess(image, imageSize: 640)
            let lb = im["letterbox"] as! [String: Any]
            XCTAssertEqual([geometry.resizedWidth, geometry.resizedHeight], lb["new_unpad"] as! [Int], what)
            XCTAssertEqual([geometry.top, geometry.bottom, geometry.left, geometry.right],
                           ["top", "bottom", "left", "right"].map { lb[$0] as! Int }, what)
            try checkStats(input, im["input"] as! [String: Any], tolerance: 1e-6, "\(what) input")
            // Head: each tensor within 10x the reference's own float32 noise on it (its `noise` record: the largest
            // |float32 - float64| over the samples, top anchors, mean and std, relative as checkStats uses it),
            // at least 1e-5.
            let noise = try YOLOMargins.record(im, what)
            let head = try model.network(input)
            let headTolerance = YOLOMargins.headTolerance(noise["head"])
            try checkStats(head.output, im["head"] as! [String: Any], tolerance: headTolerance, "\(what) head")
            let anchors = head.output.shape[2]
            for top in (im["head"] as! [String: Any])["top_anchors"] as! [[String: Any]] {
                let a = top["anchor"] as! Int
                for (c, e) in (top["values"] as! [Double]).enumerated() {
                    XCTAssertEqual(Double(head.output.storage[c * anchors + a]), e, accuracy: headTolerance * max(1, abs(e)),
                                   "\(what) head anchor \(a) row \(c)")
                }
            }
            try checkStats(head.boxLogits, im["box_logits"] as! [String: Any],
                           tolerance: YOLOMargins.headTolerance(noise["box_logits"]), "\(what) box logits")
            try checkStats(head.classLogits, im["cls_logits"] as! [String: Any],
                           tolerance: YOLOMargins.headTolerance(noise["cls_logits"]), "\(what) class logits")
            if let protos = im["protos"] as? [String: Any] {
                try checkStats(try XCTUnwrap(head.protos), protos, tolerance: YOLOMargins.headTolerance(noise["protos"]),
                               "\(what) protos")
            }
            // Detections through the whole detect() path at the reference's threshold.
            let got = try model.detect(image, options: DetectOptions(confidence: Float(im["conf"] as! Double))).detections
            try checkDetections(got, im["detections"] as! [[String: Any]], noise: noise, what)
        }
    }

    func checkStats(_ t: Tensor, _ ref: [String: Any], tolerance: Double, _ what: String) throws {
        XCTAssertEqual(t.shape, ref["shape"] as! [Int], what)
        guard t.shape == ref["shape"] as! [Int] else { return }
        let n = Double(t.count)
        let mean = t.storage.reduce(0.0) { $0 + Double($1) } / n
        let std = (t.storage.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1)).squareRoot()
        let refMean = ref["mean"] as! Double, refStd = ref["std"] as! Double
        XCTAssertEqual(mean, refMean, accuracy: tolerance * max(1, abs(refMean), refStd), "\(what) mean")
        XCTAssertEqual(std, refStd, accuracy: tolerance * max(1, refStd), "\(what) std")
        let dims = Array(t.shape.dropFirst())
        for sample in ref["samples"] as! [[Double]] {
            let index = sample.dropLast().map { Int($0) }
            var flat = 0
            for (i, d) in zip(index, dims) { flat = flat * d + i }
            let e = sample.last!
            XCTAssertEqual(Double(t.storage[flat]), e, accuracy: tolerance * max(1, abs(e)), "\(what) sample \(index)")
        }
    }

    /// Detections margin-aware (YOLOMargins.checkDetections): at most 5% of the reference items borderline;
    /// sorted by score. Masks (the reference's best 30): ours may differ from the reference's only in pixels the
    /// reference puts within its own noise of a decision (YOLOMargins.maskBudget: a logit within 10x the
    /// detection's measured logit noise of 0, at least 1e-5; a crop edge within the item's corner tolerance of an integer).
    func checkDetections(_ got: [Detection], _ ref: [[String: Any]], noise: [String: Any], _ what: String) throws {
        let match = try YOLOMargins.checkDetections(got.map(ReferenceItem.init), against: YOLOMargins.items(ref),
                                                    noise: noise, borderlineBound: 0.05, what)
        let referenceNoise = try ReferenceNoise(noise["detections"], what)
        XCTAssertEqual(got.map(\.score), got.map(\.score).sorted(by: >), "\(what): not sorted by score")
        var masks = 0, identical = 0, differing = 0, allowedTotal = 0
        for (r, i) in match.pairs.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(got[i].label, ref[r]["label"].map { "\($0)" }, what)
            guard let m = ref[r]["mask"] as? [String: Any] else { continue }
            let maskNoise = try XCTUnwrap(noise["masks"] as? [String: Any], "\(what): no mask noise record")
            let perDetection = try XCTUnwrap(maskNoise["per_detection"] as? [Any])
            guard r < perDetection.count, let n = perDetection[r] as? [String: Any] else {
                XCTAssert(match.borderline.contains(r), "\(what): mask \(r) has no noise record"); continue
            }
            let size = m["size"] as! [Int]
            let refMask = try RLE(compressed: m["counts"] as! String, height: size[0], width: size[1])
            guard let mask = got[i].mask else { XCTFail("\(what): detection \(r) has no mask"); continue }
            XCTAssertEqual([mask.height, mask.width], size, what)
            guard [mask.height, mask.width] == size else { continue }
            let budget = try YOLOMargins.maskBudget(mask, refMask, n, logitBands: try XCTUnwrap(maskNoise["logit_bands"] as? [Double]),
                                                    edgeBands: try XCTUnwrap(maskNoise["edge_bands"] as? [Double]),
                                                    cornerTolerance: YOLOMargins.itemTolerances(noise, referenceNoise, r).corner)
            masks += 1
            if budget.differing == 0 { identical += 1 }
            differing += budget.differing; allowedTotal += budget.allowed
            XCTAssertLessThanOrEqual(budget.differing, budget.allowed, "\(what): mask of detection \(r) differs in "
                                     + "\(budget.differing) pixels; the reference has \(budget.allowed) within its noise "
                                     + "(logit band \(budget.band)) (areas \(mask.area) vs \(refMask.area))")
        }
        if masks > 0 {
            print("YOLOv8 \(what): masks \(masks) compared, \(identical) identical, \(differing) pixels differ of "
                  + "\(allowedTotal) within the reference's noise")
        }
    }
}
