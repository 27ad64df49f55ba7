import ArgusDetection
import ArgusImage
import ArgusTensor
import ArgusWeights
import Foundation
import XCTest
@testable import ArgusModels
import ArgusTestSupport

/// YOLOX `.pth` checkpoints against YOLOX 0.3.0's own code (`Fixtures/yolox/*.json`, made by
/// tools/gen_yolox_fixtures.py): the `preproc` input, the raw head output (decode_in_inference=False) and
/// `yolox.utils.postprocess` detections on two coco128 images. With ARGUS_YOLOX_FULL=DIR (the script's `--full DIR`)
/// also the real-size Nano / Tiny / S / M and the real Nano weights (from the shared ONNX export). Tolerances
/// are 10x the reference's own float32 noise, each image's `noise` record (YOLOMargins.swift).
final class YOLOXReferenceTests: XCTestCase {
    static func fixtureURL(_ name: String, _ ext: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/yolox/\(name)", withExtension: ext))
    }

    static func json(_ url: URL) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func image(_ file: String) throws -> RGBImage {
        try decodeImage(try SharedData.bytes("datasets/coco128/images/train2017/\(file)")).image
    }

    /// |got - want| <= tol, relative to |want| beyond 1.
    func close(_ got: Float, _ want: Double, _ tol: Double = 1e-4) -> Bool {
        abs(Double(got) - want) <= tol * max(1, abs(want))
    }

    func mean(_ v: [Float]) -> Double { v.reduce(0) { $0 + Double($1) } / Double(v.count) }

    func std(_ v: [Float]) -> Double {
        let m = mean(v)
        return (v.reduce(0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(v.count)).squareRoot()
    }

    /// Input, raw output and detections of one model against its JSON; returns the per-image detect times.
    /// At most 5% of the reference detections may be borderline (the reference itself puts them within twice its
    /// noise of a decision; measured at most 3 of 161 on the real-size nets of `--full`).
    @discardableResult
    func check(_ model: YOLOX, _ ref: [String: Any], label: String, minDetections: Int = 100,
               borderlineBound: Double = 0.05) throws -> [Double] {
        let side = ref["reference_input_size"] as! Int
        var times: [Double] = []
        for entry in ref["images"] as! [[String: Any]] {
            let file = entry["file"] as! String
            let img = try image(file)
            let (input, ratio, output) = try model.forward(img, side: side)
            let pre = entry["preproc"] as! [String: Any]
            XCTAssertEqual(Double(ratio), pre["ratio"] as! Double, accuracy: 1e-7, "\(label) \(file) ratio")

            let inRef = entry["input"] as! [String: Any]
            XCTAssertEqual(input.shape, inRef["shape"] as! [Int])
            XCTAssertEqual(mean(input.storage), inRef["mean"] as! Double, accuracy: 1e-6 * (inRef["mean"] as! Double))
            XCTAssertEqual(std(input.storage), inRef["std"] as! Double, accuracy: 1e-6 * (inRef["std"] as! Double))
            for s in inRef["samples"] as! [[Double]] {
                let (c, y, x) = (Int(s[0]), Int(s[1]), Int(s[2]))
                XCTAssertEqual(Double(input.storage[(c * side + y) * side + x]), s[3], "\(label) \(file) input \(s)")
            }

            // Raw output: each value within 10x the reference's own float32 noise of its column kind (box, obj,
            // cls: largest |float32 - float64| / max(1, |v|) over the samples and top rows; mean/std/min/max: `stats`),
            // at least 1e-5, relative to max(1, |v|).
            let noise = try YOLOMargins.record(entry, "\(label) \(file)")
            let kinds = try XCTUnwrap(noise["head"] as? [String: Any])
            let tolerance = ["box", "obj", "cls"].map { YOLOMargins.headTolerance(kinds[$0]) }
            let statsTolerance = YOLOMargins.headTolerance(kinds["stats"])
            let outRef = entry["output"] as! [String: Any]
            let shape = outRef["shape"] as! [Int]
            XCTAssertEqual(output.shape, shape)
            let columns = shape[2]
            for key in ["mean", "std"] {
                let want = outRef[key] as! Double
                let got = key == "mean" ? mean(output.storage) : std(output.storage)
                XCTAssertEqual(got, want, accuracy: statsTolerance * max(1, abs(want)), "\(label) \(file) output \(key)")
            }
            XCTAssertTrue(close(output.storage.min()!, outRef["min"] as! Double, statsTolerance), "\(label) \(file) min")
            XCTAssertTrue(close(output.storage.max()!, outRef["max"] as! Double, statsTolerance), "\(label) \(file) max")
            var worst = 0.0
            func compare(_ row: Int, _ col: Int, _ want: Double) {
                let got = output.storage[row * columns + col], tol = tolerance[col < 4 ? 0 : col == 4 ? 1 : 2]
                worst = max(worst, abs(Double(got) - want) / max(1, abs(want)) / tol)
                XCTAssertTrue(close(got, want, tol), "\(label) \(file) output[\(row), \(col)] = \(got), want \(want)")
            }
            for s in outRef["samples"] as! [[Double]] { compare(Int(s[0]), Int(s[1]), s[2]) }
            for top in outRef["top_rows"] as! [[String: Any]] {
                for (col, want) in (top["values"] as! [Double]).enumerated() { compare(top["row"] as! Int, col, want) }
            }

            // Detections margin-aware (YOLOMargins.checkDetections), at most `borderlineBound` borderline.
            let refs = entry["detections"] as! [[String: Any]]
            let options = DetectOptions(confidence: Float(entry["conf"] as! Double), iou: entry["nms"] as? Double,
                                        maxDetections: 10_000, imageSize: side)
            let start = Date()
            let got = try model.detect(img, options: options).detections
            times.append(Date().timeIntervalSince(start))
            XCTAssertGreaterThanOrEqual(refs.count, minDetections, "\(label) \(file): too few detections compared")
            let match = try YOLOMargins.checkDetections(got.map(ReferenceItem.init), against: YOLOMargins.items(refs),
                                                        noise: noise, borderlineBound: borderlineBound, "\(label) \(file)")
            XCTAssertEqual(got.first?.label, model.info.classNames[got.first?.classId ?? 0])
            print("\(label) \(file): output worst difference \(worst) of its tolerance (\(tolerance)), "
                + "\(match.pairs.count)/\(refs.count) detections matched")
        }
        return times
    }

    func load(_ path: String) throws -> YOLOX {
        try XCTUnwrap(try ModelLoader.load(contentsOf: path) as? YOLOX, "ModelLoader must recognise a YOLOX checkpoint")
    }

    /// Nano's architecture (depthwise) at width 0.125, 80 classes, `{"model": state_dict}` saved in fp16.
    func testNanoArchitectureMatchesYOLOX() throws {
        let m = try load(try Self.fixtureURL("yolox_nano_w0125", "pth").path)
        XCTAssertEqual(m.info.name, "yolox_nano_w0125")
        XCTAssertEqual(m.info.family, "yolox")
        XCTAssertEqual(m.info.task, .detect)
        XCTAssertEqual(m.info.classNames, COCOCategories.names80)
        XCTAssertEqual(m.info.defaults, DetectDefaults(confidence: 0.3, iou: 0.45, maxDetections: 1000, imageSize: 416))
        XCTAssertEqual(m.config, YOLOXConfig(baseChannels: 8, baseDepth: 1, depthwise: true, classCount: 80))
        XCTAssertEqual(m.config.width, 0.125)
        XCTAssertNil(m.config.variant)
        try check(m, try Self.json(try Self.fixtureURL("yolox_nano_w0125", "json")), label: "nano-w0.125")
    }

    /// BaseConv convs, depth 0.67 (2 / 6 bottlenecks), 3 classes, a bare state dict; run at imgsz 300 -> 320.
    func testCustomClassesDepthAndImageSize() throws {
        let m = try load(try Self.fixtureURL("yolox_custom3_w003125", "pth").path)
        XCTAssertEqual(m.config, YOLOXConfig(baseChannels: 2, baseDepth: 2, depthwise: false, classCount: 3))
        XCTAssertEqual(m.info.classNames, ["class0", "class1", "class2"])
        XCTAssertEqual(m.info.defaults.imageSize, 416)
        XCTAssertEqual(m.network.neck.backbone.stages.map(\.csp.m.count), [2, 6, 6, 2])
        XCTAssertEqual(m.network.neck.c3n4.m.count, 2)
        XCTAssertEqual(YOLOX.inputSide(300), 320)
        XCTAssertEqual(YOLOX.inputSide(320), 320)
        XCTAssertEqual(YOLOX.inputSide(1), 32)
        let ref = try Self.json(try Self.fixtureURL("yolox_custom3_w003125", "json"))
        XCTAssertEqual(ref["reference_input_size"] as? Int, 320)
        try check(m, ref, label: "custom3")
        // imgsz 300 is rounded up to the same 320 input as the reference's.
        let img = try image("000000000036.jpg")
        let entry = (ref["images"] as! [[String: Any]])[0]
        let a = try m.detect(img, options: DetectOptions(confidence: Float(entry["conf"] as! Double), iou: 0.65,
                                                         maxDetections: 10_000, imageSize: 300)).detections
        // The same detections as at 320 (the same input): the list the check above accepted.
        let b = try m.detect(img, options: DetectOptions(confidence: Float(entry["conf"] as! Double), iou: 0.65,
                                                         maxDetections: 10_000, imageSize: 320)).detections
        XCTAssertEqual(a.map(\.score), b.map(\.score))
        XCTAssertEqual(a.map(\.box), b.map(\.box))
    }

    /// The checkpoint variants the released exps define.
    func testVariantsAndInputSizes() {
        let cases: [(Int, Int, Bool, String?, Int)] = [(16, 1, true, "nano", 416), (24, 1, false, "tiny", 416),
                                                       (32, 1, false, "s", 640), (48, 2, false, "m", 640),
                                                       (64, 3, false, "l", 640), (80, 4, false, "x", 640),
                                                       (16, 1, false, nil, 416), (48, 1, false, nil, 640)]
        for (base, depth, dw, variant, size) in cases {
            let c = YOLOXConfig(baseChannels: base, baseDepth: depth, depthwise: dw, classCount: 80)
            XCTAssertEqual(c.variant, variant, "\(base) \(depth) \(dw)")
            XCTAssertEqual(c.inputSize, size, "\(base) \(depth) \(dw)")
        }
    }

    /// Other checkpoints are not taken for YOLOX, and YOLOX.load names what is missing.
    func testNotAYOLOXCheckpoint() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/yolov5_v6_custom3", withExtension: "pt"))
        let ckpt = try Checkpoint.load(contentsOf: url.path)
        XCTAssertFalse(YOLOX.recognizes(ckpt))
        XCTAssertThrowsError(try YOLOX.load(ckpt, name: "x")) { error in
            XCTAssertTrue("\(error)".contains("head.cls_preds.0.weight"), "\(error)")
        }
        let yolox = try Checkpoint.load(contentsOf: try Self.fixtureURL("yolox_nano_w0125", "pth").path)
        XCTAssertTrue(YOLOX.recognizes(yolox))
        XCTAssertEqual(try YOLOX.load(yolox, name: "n", classNames: ["a"]).info.classNames, COCOCategories.names80,
                       "names that do not fit the class count are not used")
    }

    /// A file cut short is a typed error, not a crash.
    func testTruncatedCheckpointIsAnError() throws {
        let bytes = try Data(contentsOf: try Self.fixtureURL("yolox_custom3_w003125", "pth"))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("argus-yolox-\(UUID().uuidString).pth")
        try bytes.prefix(bytes.count / 2).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        XCTAssertThrowsError(try ModelLoader.load(contentsOf: path.path))
    }

    // MARK: - Real-size checkpoints (ARGUS_YOLOX_FULL=DIR from `gen_yolox_fixtures.py --full DIR`)

    func fullDir() throws -> URL {
        guard let dir = ProcessInfo.processInfo.environment["ARGUS_YOLOX_FULL"] else {
            throw XCTSkip("ARGUS_YOLOX_FULL is unset: the real-size YOLOX checks need `gen_yolox_fixtures.py --full DIR`")
        }
        return URL(fileURLWithPath: dir)
    }

    func checkFull(_ name: String, minDetections: Int = 50) throws {
        let dir = try fullDir()
        let ref = try Self.json(dir.appendingPathComponent("\(name).json"))
        let start = Date()
        let m = try load(dir.appendingPathComponent("\(name).pth").path)
        let loadTime = Date().timeIntervalSince(start)
        let config = ref["config"] as! [String: Any]
        XCTAssertEqual(m.config.variant, config["variant"] as? String, name)
        XCTAssertEqual(m.config.width, config["width"] as! Double, name)
        XCTAssertEqual(m.config.depthwise, config["depthwise"] as! Bool, name)
        XCTAssertEqual(m.config.classCount, config["classes"] as! Int, name)
        XCTAssertEqual(m.info.defaults.imageSize, config["input_size"] as! Int, name)
        let times = try check(m, ref, label: name, minDetections: minDetections)
        print("\(name): load \(String(format: "%.2f", loadTime)) s, detect "
            + times.map { String(format: "%.1f ms", $0 * 1000) }.joined(separator: ", "))
    }

    func testFullNano() throws { try checkFull("yolox_nano") }
    func testFullTiny() throws { try checkFull("yolox_tiny") }
    func testFullS() throws { try checkFull("yolox_s") }
    func testFullM() throws { try checkFull("yolox_m") }

    /// The real Nano weights (taken from the shared ONNX export) through the `.pth` path: YOLOX's references,
    /// and the same detections as the ONNX path on the same images; timings of both.
    func testFullNanoRealWeightsMatchONNXPath() throws {
        try checkFull("yolox_nano_onnxweights", minDetections: 9)
        let pth = try load(try fullDir().appendingPathComponent("yolox_nano_onnxweights.pth").path)
        let onnx = try ModelLoader.load(contentsOf: try SharedData.path("weights/onnx/yolox_nano.onnx"))
        for file in ["000000000036.jpg", "000000000077.jpg"] {
            let img = try image(file)
            let options = DetectOptions(confidence: 0.01, iou: 0.65, maxDetections: 10_000)
            let a = try pth.detect(img, options: options).detections
            let b = try onnx.detect(img, options: options).detections
            XCTAssertEqual(a.count, b.count, file)
            for (x, y) in zip(a, b) {
                XCTAssertEqual(x.classId, y.classId, file)
                XCTAssertEqual(x.score, y.score, accuracy: 1e-4, file)
                XCTAssertGreaterThanOrEqual(iou(x.box, y.box), 0.999, file)
            }
            var best: (pth: Double, onnx: Double) = (.infinity, .infinity)
            for _ in 0..<5 {
                best.pth = min(best.pth, try pth.detect(img, options: DetectOptions()).timings.inference)
                best.onnx = min(best.onnx, try onnx.detect(img, options: DetectOptions()).timings.inference)
            }
            print("yolox_nano \(file): inference (ms) best of 5: .pth \(String(format: "%.1f", best.pth)), "
                + "ONNX \(String(format: "%.1f", best.onnx))")
        }
    }
}
