import XCTest
import Foundation
import ArgusTensor
import ArgusImage
import ArgusONNX
import ArgusTestSupport

/// The shared ONNX files run as graphs by ArgusONNX against onnxruntime 1.32's raw outputs
/// (Fixtures/yolov8/onnx_*.json, from tools/gen_yolov8_onnx_fixtures.py) on the fixture images:
/// the network input is built here and checked against the JSON's input samples and stats first.
/// Skips when ../shared (weights, coco128) is absent.
final class ONNXGraphReferenceTests: XCTestCase {
    private static func fixture(_ name: String) throws -> [String: Any] {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/yolov8/\(name)")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    private static func image(_ file: String) throws -> RGBImage {
        try decodeImage(SharedData.bytes("datasets/coco128/images/train2017/\(file)")).image
    }

    /// YOLOX `preproc`: r = min(416/h, 416/w), bilinear resize to (Int(w r), Int(h r)), top-left on a
    /// 416x416 canvas of 114, BGR, float 0..255, CHW.
    private static func yoloxInput(_ image: RGBImage, size: Int = 416) -> Tensor {
        let r = min(Double(size) / Double(image.height), Double(size) / Double(image.width))
        let resized = resizeBilinear(image, width: Int(Double(image.width) * r), height: Int(Double(image.height) * r))
        let canvas = pad(resized, top: 0, bottom: size - resized.height, left: 0, right: size - resized.width,
                         color: (114, 114, 114))
        let rgb = toCHWFloat(canvas, divisor: 1)
        let plane = size * size
        // RGB planes -> BGR planes.
        let bgr = Array(rgb[(2 * plane)...]) + Array(rgb[plane..<(2 * plane)]) + Array(rgb[..<plane])
        return Tensor(shape: [1, 3, size, size], storage: bgr)
    }

    /// Ultralytics for a static ONNX export: LetterBox(320, auto=False), RGB / 255, CHW.
    private static func yolov8Input(_ image: RGBImage, size: Int = 320) -> Tensor {
        let boxed = letterbox(image, newShape: (size, size), auto: false).image
        return Tensor(shape: [1, 3, size, size], storage: toCHWFloat(boxed))
    }

    /// Mean and sample standard deviation (ddof = 1, numpy's `a.std(ddof=1)` in the generator), in Double.
    private static func stats(_ v: [Float]) -> (mean: Double, std: Double) {
        let mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
        let variance = v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(v.count - 1)
        return (mean, variance.squareRoot())
    }

    /// Checks the input against the JSON's samples ([c, y, x, value]) and stats.
    private func checkInput(_ x: Tensor, _ reference: [String: Any], _ label: String) {
        XCTAssertEqual(x.shape, reference["shape"] as? [Int], label)
        let (h, w) = (x.shape[2], x.shape[3])
        for s in reference["samples"] as! [[Double]] {
            let (c, y, xx) = (Int(s[0]), Int(s[1]), Int(s[2]))
            XCTAssertEqual(Double(x.storage[(c * h + y) * w + xx]), s[3], accuracy: 1e-6 * max(1, abs(s[3])), "\(label) input \(s)")
        }
        checkStats(x.storage, reference, "\(label) input")
    }

    /// Mean and std against the JSON's, which numpy computed in float32 (pairwise sums): 1e-5 relative.
    private func checkStats(_ v: [Float], _ reference: [String: Any], _ label: String) {
        let (mean, std) = Self.stats(v)
        let (m, s) = (reference["mean"] as! Double, reference["std"] as! Double)
        XCTAssertEqual(mean, m, accuracy: 1e-5 * max(abs(m), s), "\(label) mean")
        XCTAssertEqual(std, s, accuracy: 1e-5 * s, "\(label) std")
    }

    /// The largest |ours - onnxruntime| over an output's samples and top rows/anchors (stats checked apart).
    /// Samples are [i, j, value] for a [1, I, J] output or [c, y, x, value] for [1, C, H, W].
    private func maxDifference(_ t: Tensor, _ reference: [String: Any], rowsKey: String?, _ label: String) -> Double {
        XCTAssertEqual(t.shape, reference["shape"] as? [Int], label)
        guard t.shape == reference["shape"] as? [Int] else { return .infinity }
        var worst = 0.0
        func at(_ index: [Int]) -> Double {
            var flat = 0
            for (d, i) in zip(t.shape.dropFirst(), index) { flat = flat * d + i }
            return Double(t.storage[flat])
        }
        for s in reference["samples"] as! [[Double]] {
            worst = max(worst, abs(at(s.dropLast().map { Int($0) }) - s.last!))
        }
        if let rowsKey, let rows = reference[rowsKey] as? [[String: Any]] {
            for row in rows {
                let values = row["values"] as! [Double]
                if let r = row["row"] as? Int {  // YOLOX: out[0, row, :]
                    for (j, v) in values.enumerated() { worst = max(worst, abs(at([r, j]) - v)) }
                } else {  // YOLOv8: out[0, :, anchor]
                    let a = row["anchor"] as! Int
                    for (c, v) in values.enumerated() { worst = max(worst, abs(at([c, a]) - v)) }
                }
            }
        }
        checkStats(t.storage, reference, label)
        return worst
    }

    func testYOLOXNanoMatchesOnnxruntime() throws {
        let model = try ONNXModel(contentsOf: SharedData.path("weights/onnx/yolox_nano.onnx"))
        XCTAssertEqual(model.opsetVersion, 11)
        XCTAssertEqual(model.inputs, [ONNXTensorInfo(name: "images", elementType: "FLOAT", shape: [1, 3, 416, 416])])
        XCTAssertTrue(model.metadata.isEmpty)
        let reference = try Self.fixture("onnx_yolox_nano.json")
        for entry in reference["images"] as! [[String: Any]] {
            let file = entry["file"] as! String
            let x = Self.yoloxInput(try Self.image(file))
            checkInput(x, entry["input"] as! [String: Any], file)
            let out = try model.run(["images": x])
            let d = maxDifference(try XCTUnwrap(out["output"]), entry["output"] as! [String: Any], rowsKey: "top_rows_by_obj", file)
            // 10x onnxruntime's own float32 sensitivity: its largest output difference between the optimised
            // graph (the reference) and the same graph without optimisations (another summation order).
            let noise = try XCTUnwrap(((entry["noise"] as? [String: Any])?["output"] as? [String: Any])?["max_abs"] as? Double)
            let tolerance = max(ReferenceNoise.multiple * noise, 1e-5)
            print("yolox_nano \(file): max |ours - onnxruntime| = \(d) (tolerance \(tolerance))")
            XCTAssertLessThanOrEqual(d, tolerance, file)
        }
    }

    /// The int8 files: onnxruntime's integer arithmetic is reproduced exactly (ConvInteger accumulates
    /// exactly, DynamicQuantizeLinear and Sigmoid round as onnxruntime does), so the outputs agree to the
    /// JSON's 9 significant digits, or within a few float ulps: Softmax (onnxruntime's MLAS exp polynomial
    /// vs expf) can differ by an ulp, which moves the DFL's DynamicQuantizeLinear scale by an ulp.
    private func checkYOLOv8Int8(_ file: String, fixture: String, outputs: [(name: String, key: String, rows: String?)],
                                 directory: String? = nil, opset: Int = 20) throws {
        let model = try ONNXModel(contentsOf: directory.map { "\($0)/\(file)" } ?? SharedData.path("weights/onnx/\(file)"))
        XCTAssertEqual(model.opsetVersion, opset)
        XCTAssertEqual(model.metadata["imgsz"], "[320, 320]")
        let reference = try directory.map { dir -> [String: Any] in
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(fixture)"))
            return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        } ?? Self.fixture(fixture)
        for entry in reference["images"] as! [[String: Any]] {
            let image = entry["file"] as! String
            let x = Self.yolov8Input(try Self.image(image))
            checkInput(x, entry["input"] as! [String: Any], image)
            let out = try model.run(["images": x])
            for o in outputs {
                let d = maxDifference(try XCTUnwrap(out[o.name]), entry[o.key] as! [String: Any], rowsKey: o.rows, "\(image) \(o.name)")
                print("\(file) \(image) \(o.name): max |ours - onnxruntime| = \(d)")
                // Box outputs reach ~320 px (an ulp there is 3e-5, the JSON's 9 digits 1e-6): 1e-4 allows a
                // few ulps and no quantization flip (one would move a box by ~0.01-1 px).
                XCTAssertLessThanOrEqual(d, 1e-4, "\(image) \(o.name)")
            }
        }
    }

    func testYOLOv8nInt8MatchesOnnxruntime() throws {
        try checkYOLOv8Int8("yolov8n_int8_320.onnx", fixture: "onnx_yolov8n_int8_320.json",
                            outputs: [("output0", "output0", "top_anchors")])
    }

    func testYOLOv8nSegInt8MatchesOnnxruntime() throws {
        try checkYOLOv8Int8("yolov8n-seg_int8_320.onnx", fixture: "onnx_yolov8n-seg_int8_320.json",
                            outputs: [("output0", "output0", "top_anchors"), ("output1", "output1_protos", nil)])
    }

    /// A custom-class int8 export (3 classes, opset 18, `Constant` nodes kept), made out of the repo by
    /// `tools/gen_yolov8_onnx_fixtures.py --custom DIR`; runs when ARGUS_ONNX_CUSTOM_DIR names that DIR.
    func testCustomClassInt8ExportMatchesOnnxruntime() throws {
        guard let dir = ProcessInfo.processInfo.environment["ARGUS_ONNX_CUSTOM_DIR"] else {
            throw XCTSkip("set ARGUS_ONNX_CUSTOM_DIR to the output of tools/gen_yolov8_onnx_fixtures.py --custom DIR")
        }
        _ = try SharedData.path("datasets/coco128/images/train2017")
        try checkYOLOv8Int8("yolov8n_seg_tiny_custom3_int8_320.onnx", fixture: "onnx_yolov8n_seg_tiny_custom3_int8_320.json",
                            outputs: [("output0", "output0", "top_anchors"), ("output1", "output1_protos", nil)],
                            directory: dir, opset: 18)
    }

    /// One and two engine threads give identical outputs (the work partition depends only on shapes);
    /// prints the median `run` time of each file at both thread counts.
    func testThreadCountsAgreeAndTimings() throws {
        let saved = EngineThreads.current
        defer { EngineThreads.set(saved) }
        let image = try Self.image("000000000036.jpg")
        for (file, input) in [("yolox_nano.onnx", Self.yoloxInput(image)), ("yolov8n_int8_320.onnx", Self.yolov8Input(image)),
                              ("yolov8n-seg_int8_320.onnx", Self.yolov8Input(image))] {
            let model = try ONNXModel(contentsOf: SharedData.path("weights/onnx/\(file)"))
            var results: [[String: Tensor]] = []
            var line = file
            for threads in [1, 2] {
                EngineThreads.set(threads)
                results.append(try model.run(["images": input]))
                var times: [Double] = []
                for _ in 0..<7 {
                    let start = DispatchTime.now().uptimeNanoseconds
                    _ = try model.run(["images": input])
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                }
                line += String(format: "  %d thread(s): %.1f ms", threads, times.sorted()[times.count / 2])
            }
            print("ONNX run median: \(line)")
            XCTAssertEqual(results[0], results[1], file)
        }
    }
}
