import ArgusDetection
import ArgusImage
import ArgusMask
import ArgusTensor
import XCTest
@testable import ArgusModels
import ArgusTestSupport

/// YOLOv8's postprocessing pieces on their own: per-box mask windows against whole planes resampled with
/// ArgusTensor's torch-exact `interpolateBilinear`, and the NMS options (class filter, agnostic, max_det).
final class YOLOv8PostprocessTests: XCTestCase {
    /// Deterministic pseudo-random values in [-1, 1).
    struct Noise {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
        }
    }

    /// process_mask_native + scale_masks + crop_mask on whole planes, the way Ultralytics runs them.
    func wholePlaneMask(coef: [Float], protos: Tensor, box: Box, height h0: Int, width w0: Int) throws -> RLE {
        let nm = protos.shape[1], mh = protos.shape[2], mw = protos.shape[3]
        var logits = [Float](repeating: 0, count: mh * mw)
        for k in 0..<nm { for i in 0..<(mh * mw) { logits[i] += coef[k] * protos.storage[k * mh * mw + i] } }
        let plan = YOLOv8Masks.Plan(mh: mh, mw: mw, height: h0, width: w0)
        var x = Tensor(shape: [1, 1, mh, mw], storage: logits)
        if plan.f > 1 { x = try interpolateBilinear(x, scaleFactor: Double(plan.f), alignCorners: false) }
        XCTAssertEqual(x.shape, [1, 1, plan.upH, plan.upW])
        if !(x.shape[2] == h0 && x.shape[3] == w0) {
            var crop = [Float]()
            for r in plan.top..<(plan.top + plan.cropH) {
                crop.append(contentsOf: x.storage[(r * plan.upW + plan.left)..<(r * plan.upW + plan.left + plan.cropW)])
            }
            x = try interpolateBilinear(Tensor(shape: [1, 1, plan.cropH, plan.cropW], storage: crop), size: (h0, w0),
                                        alignCorners: false)
        }
        var bits = [UInt8](repeating: 0, count: h0 * w0)
        for r in 0..<h0 {
            for c in 0..<w0 where x.storage[r * w0 + c] > 0 && Float(c) >= box.x1 && Float(c) < box.x2
                && Float(r) >= box.y1 && Float(r) < box.y2 {
                bits[r * w0 + c] = 1
            }
        }
        return RLE(rowMajor: bits, height: h0, width: w0)
    }

    func testBoxWindowsEqualWholePlanes() throws {
        var noise = Noise(state: 42)
        // (mh, mw, h0, w0): f = 4 (odd pad), f = 1, identity (no crop), f = 2 (pad 4), tiny images, big images.
        let cases = [(160, 128, 640, 481), (40, 32, 160, 120), (30, 40, 30, 40), (40, 32, 160, 124),
                     (40, 32, 50, 37), (40, 32, 1000, 777), (24, 40, 375, 500), (40, 40, 7, 3)]
        for (mh, mw, h0, w0) in cases {
            let nm = 4
            let protos = Tensor(shape: [1, nm, mh, mw], storage: (0..<(nm * mh * mw)).map { _ in noise.next() })
            var boxes = [Box(x1: 0, y1: 0, x2: Float(w0), y2: Float(h0)), Box(x1: 3, y1: 3, x2: 3, y2: 9),
                         Box(x1: 1.5, y1: 0.25, x2: Float(w0) - 0.5, y2: Float(h0) * 0.7)]
            for _ in 0..<12 {
                let a = (noise.next() + 1) / 2 * Float(w0), b = (noise.next() + 1) / 2 * Float(w0)
                let c = (noise.next() + 1) / 2 * Float(h0), d = (noise.next() + 1) / 2 * Float(h0)
                boxes.append(Box(x1: min(a, b), y1: min(c, d), x2: max(a, b), y2: max(c, d)))
            }
            let coefficients = (0..<(boxes.count * nm)).map { _ in noise.next() * 2 }
            let got = try YOLOv8Masks.masks(coefficients: coefficients, protos: protos, boxes: boxes,
                                            original: (w0, h0))
            let plan = YOLOv8Masks.Plan(mh: mh, mw: mw, height: h0, width: w0)
            XCTAssertGreaterThanOrEqual(got.filter { ($0?.area ?? 0) > 0 }.count, 4, "\(h0)x\(w0): too few non-empty masks")
            for (i, box) in boxes.enumerated() {
                let expected = try wholePlaneMask(coef: Array(coefficients[(i * nm)..<((i + 1) * nm)]), protos: protos,
                                                  box: box, height: h0, width: w0)
                XCTAssertEqual(got[i], expected, "\(mh)x\(mw) -> \(h0)x\(w0) (f \(plan.f)) box \(box)")
            }
            if (mh, mw, h0, w0) == (30, 40, 30, 40) { XCTAssertTrue(plan.identity) }
            if (mh, mw, h0, w0) == (160, 128, 640, 481) { XCTAssertEqual(plan.f, 4) }
            if (mh, mw, h0, w0) == (40, 32, 160, 124) { XCTAssertEqual(plan.f, 2) }
            if (mh, mw, h0, w0) == (40, 32, 160, 120) { XCTAssertEqual(plan.f, 1) }
        }
    }

    func testClassFilterAgnosticAndMaxDetections() throws {
        let url = try YOLOv8ReferenceTests.fixtureURL("yolov8n_tiny.pt")
        let model = try XCTUnwrap(try ModelLoader.load(contentsOf: url.path) as? YOLOv8)
        let image = try decodeImage(SharedData.bytes("datasets/coco128/images/train2017/000000000036.jpg")).image
        let all = try model.detect(image, options: DetectOptions(confidence: 0.2)).detections
        XCTAssertGreaterThan(all.count, 100)
        let wanted: Set<Int> = [all[0].classId, all[5].classId]
        // Class-aware NMS works per class, so filtering before it keeps exactly those classes' survivors.
        let filtered = try model.detect(image, options: DetectOptions(confidence: 0.2, classes: wanted)).detections
        XCTAssertEqual(filtered, all.filter { wanted.contains($0.classId) })
        let top = try model.detect(image, options: DetectOptions(confidence: 0.2, maxDetections: 7)).detections
        XCTAssertEqual(top, Array(all.prefix(7)))
        let agnostic = try model.detect(image, options: DetectOptions(confidence: 0.2, agnosticNMS: true)).detections
        XCTAssertLessThan(agnostic.count, all.count)
        XCTAssertEqual(agnostic.first, all.first)
        // NMS runs in input pixels (before scaling and clipping): no two agnostic survivors overlap > 0.7 there,
        // whatever their classes, while class-aware survivors of different classes may.
        let head = try model.network(model.preprocess(image, imageSize: 640).input)
        func kept(_ agnostic: Bool) -> [YOLOv8Postprocess.Candidate] {
            YOLOv8Postprocess.candidates(output: head.output, classCount: 80, confidence: 0.2, iou: 0.7,
                                         maxDetections: 300, classes: nil, agnostic: agnostic)
        }
        let a = kept(true), c = kept(false)
        XCTAssertEqual(a.count, agnostic.count)
        XCTAssertEqual(c.count, all.count)
        func maxOverlap(_ k: [YOLOv8Postprocess.Candidate]) -> Float {
            var worst: Float = 0
            for i in k.indices { for j in k.indices where j > i { worst = max(worst, iou(k[i].box, k[j].box)) } }
            return worst
        }
        XCTAssertLessThanOrEqual(maxOverlap(a), 0.7)
        XCTAssertGreaterThan(maxOverlap(c), 0.7)
        // imgsz is rounded up to a stride multiple (check_imgsz): 600 -> 608.
        XCTAssertEqual(model.preprocess(image, imageSize: 600).input.shape, [1, 3, 608, 480])
    }

    /// ultralytics.utils.ops.scale_boxes values (printed by torch): it recomputes the letterbox from the shapes,
    /// so 640x513 letterboxed to 320x256 (513 / 2 = 256.5 rounds to 256) is undone as if it were 319x256.
    func testScaleBoxesRecomputesTheLetterboxFromShapes() {
        XCTAssertEqual(YOLOv8Postprocess.scaleBox(Box(x1: 160, y1: 100, x2: 300, y2: 250), input: (320, 256), original: (640, 513)),
                       Box(x1: 321.003143, y1: 200.390625, x2: 601.880859, y2: 500.976562))
        // A square (auto=False, ONNX-style) input: border 33 rows of the 320 canvas, clipped to the image.
        XCTAssertEqual(YOLOv8Postprocess.scaleBox(Box(x1: 10, y1: 20, x2: 200, y2: 300), input: (320, 320), original: (500, 375)),
                       Box(x1: 15.625, y1: 0, x2: 312.5, y2: 375))
    }

    func testBadHeadOutputsAreErrors() throws {
        let geometry = letterbox(RGBImage(width: 64, height: 64, fill: (0, 0, 0)), newShape: (64, 64)).geometry
        func run(_ output: Tensor, _ protos: Tensor?) throws -> [Detection] {
            try YOLOv8Postprocess.detections(output: output, protos: protos, classCount: 2, geometry: geometry,
                                             inputSize: (64, 64), original: (64, 64), confidence: 0.1, iou: 0.7,
                                             maxDetections: 300, classes: nil, agnostic: false, classNames: ["a", "b"])
        }
        XCTAssertThrowsError(try run(Tensor(zeros: [1, 5, 10]), nil))
        XCTAssertThrowsError(try run(Tensor(zeros: [1, 8, 10]), Tensor(zeros: [1, 3, 16, 16])))
        XCTAssertEqual(try run(Tensor(zeros: [1, 8, 10]), Tensor(zeros: [1, 2, 16, 16])), [])
        // One box, class 1, with its mask coefficients: the mask is inside its box only.
        var out = Tensor(zeros: [1, 8, 10])
        for (c, v) in [32, 32, 20, 10, 0.05, 0.9, 1, 0].enumerated() { out.storage[c * 10 + 3] = Float(v) }
        let got = try run(out, Tensor(repeating: 1, shape: [1, 2, 16, 16]))
        XCTAssertEqual(got.count, 1)
        XCTAssertEqual(got.first?.box, Box(x1: 22, y1: 27, x2: 42, y2: 37))
        XCTAssertEqual(got.first?.label, "b")
        XCTAssertEqual(got.first?.mask?.area, 20 * 10)
        // A second, better box whose mask is empty (negative logits everywhere) is dropped, as
        // segment/predict.py construct_result drops predictions without mask pixels; without protos it stays.
        for (c, v) in [10, 10, 8, 8, 0.95, 0.1, -1, 0].enumerated() { out.storage[c * 10 + 7] = Float(v) }
        XCTAssertEqual(try run(out, Tensor(repeating: 1, shape: [1, 2, 16, 16])).map(\.score), [0.9])
        XCTAssertEqual(try run(out, nil).map(\.score), [0.95, 0.9])
    }
}
