import ArgusDetection
import ArgusImage
import ArgusMask
import ArgusTensor
import ArgusWeights
import Foundation
import XCTest
@testable import ArgusModels
import ArgusTestSupport

/// Mask R-CNN against torchvision 0.28 (tools/gen_segmentation_fixtures.py): everything the Faster R-CNN
/// comparison checks, plus each detection's 28x28 mask logits, the bilinear paste into the original image
/// (float values, before the threshold) and the final binary masks (COCO RLE, mask IoU >= 0.99).
final class MaskRCNNReferenceTests: XCTestCase {
    /// MaskRCNN on the tiny MobileNetV3 FPN of the Faster R-CNN fixtures: any backbone carries the mask head.
    func testTinyMobileNetMaskRCNN() throws {
        try compare(fixture: "maskrcnn_mnv3_tiny", architecture: .mobilenetV3LargeFPN)
    }

    func testFullSizeMaskRCNNResNet50FPN() throws {
        try compare(fixture: "maskrcnn_resnet50_fpn", architecture: .maskRCNNResNet50FPN)
    }

    /// About 25 s in release (v2's conv box head on 1000 RoIs dominates).
    func testFullSizeMaskRCNNResNet50FPNv2() throws {
        try compare(fixture: "maskrcnn_resnet50_fpn_v2", architecture: .maskRCNNResNet50FPNv2)
    }

    /// Mask R-CNN checkpoints are recognised from their tensors, and the mask head's widths read off them.
    func testCheckpointRecognition() throws {
        let ref = try Self.fixture("maskrcnn_mnv3_tiny")
        let weights = try Self.tinyWeights(ref)
        let arch = try TorchvisionCheckpoint.architecture(weights, fileName: "x")
        XCTAssertEqual(arch, .mobilenetV3LargeFPN)
        let config = try TorchvisionCheckpoint.fitted(.defaults(for: arch), to: weights)
        XCTAssertEqual(config.maskHeadLayers, [16, 16, 16, 16])
        XCTAssertEqual(config.maskPredictorDimReduced, 16)
        XCTAssertEqual(config.fpnOutChannels, 32)
        let listing = try XCTUnwrap(ref["state_dict"] as? [String: Any])
        let full = RuleWeights.stateDict(listing, gain: (3, 3))
        XCTAssertEqual(try TorchvisionCheckpoint.architecture(full, fileName: "x"), .mobilenetV3LargeFPN)
        let r50 = try XCTUnwrap(Self.fixture("maskrcnn_resnet50_fpn")["state_dict"] as? [String: Any])
        XCTAssertEqual(try TorchvisionCheckpoint.architecture(RuleWeights.stateDict(r50, gain: (3, 3)), fileName: "x"),
                       .maskRCNNResNet50FPN)
        let v2 = try XCTUnwrap(Self.fixture("maskrcnn_resnet50_fpn_v2")["state_dict"] as? [String: Any])
        XCTAssertEqual(try TorchvisionCheckpoint.architecture(RuleWeights.stateDict(v2, gain: (3, 3)), fileName: "x"),
                       .maskRCNNResNet50FPNv2)
    }

    /// paste_masks_in_image by hand: a 2x2 map of ones under the box (2, 1, 5, 3) in a 6x8 image. Padding to
    /// 4x4 and scaling the box by 4/2 about its centre (3.5, 2) gives (0.5, 0, 6.5, 4) -> int (0, 0, 6, 4):
    /// [0 0 0 0; 0 1 1 0; 0 1 1 0; 0 0 0 0] resized to 5 rows x 7 columns, pasted at rows 0..4, columns 0..6.
    func testPasteByHand() throws {
        let paste = MaskPaste(imageHeight: 6, imageWidth: 8)
        let ones: [Float] = [1, 1, 1, 1]
        let p = try ones.withUnsafeBufferPointer { try paste.paste($0, size: 2, box: Box(x1: 2, y1: 1, x2: 5, y2: 3)) }
        XCTAssertEqual([p.x0, p.y0, p.x1, p.y1], [0, 0, 7, 5])
        // Bilinear 4 -> n (align_corners=False): source = (i + 0.5) * 4/n - 0.5, clamped at 0.
        func axis(_ i: Int, _ n: Int) -> Float {
            let src = max(0, (Float(i) + 0.5) * 4 / Float(n) - 0.5)
            let i0 = Int(src), l1 = src - Float(i0)
            let v: [Float] = [0, 1, 1, 0]
            return v[i0] * (1 - l1) + v[min(i0 + 1, 3)] * l1
        }
        guard p.values.count == 35 else { return XCTFail("pasted \(p.values.count) values") }
        for y in 0..<5 { for x in 0..<7 {
            XCTAssertEqual(p.values[y * 7 + x], axis(y, 5) * axis(x, 7), accuracy: 1e-6, "pasted (\(x), \(y))")
        } }
        let dense = paste.mask(p).decodeRowMajor()
        for y in 0..<6 { for x in 0..<8 {
            let expected: UInt8 = x < 7 && y < 5 && axis(y, 5) * axis(x, 7) > 0.5 ? 1 : 0
            XCTAssertEqual(dense[y * 8 + x], expected, "mask (\(x), \(y))")
        } }
    }

    func testRegionRLEEqualsDenseEncoding() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let h = Int.random(in: 1...12, using: &rng), w = Int.random(in: 1...12, using: &rng)
            let x0 = Int.random(in: 0..<w, using: &rng), y0 = Int.random(in: 0..<h, using: &rng)
            let rw = Int.random(in: 0...(w - x0), using: &rng), rh = Int.random(in: 0...(h - y0), using: &rng)
            let region = (0..<(rw * rh)).map { _ in UInt8.random(in: 0...1, using: &rng) }
            var dense = [UInt8](repeating: 0, count: h * w)
            for x in 0..<rw { for y in 0..<rh { dense[(x0 + x) * h + y0 + y] = region[x * rh + y] } }
            XCTAssertEqual(RLE(region: region, x0: x0, y0: y0, regionWidth: rw, regionHeight: rh, height: h, width: w),
                           RLE(columnMajor: dense, height: h, width: w))
        }
    }

    // MARK: - Comparison

    func compare(fixture name: String, architecture: FasterRCNNArchitecture) throws {
        let ref = try Self.fixture(name)
        var config = try FasterRCNNReferenceTests.config(ref, architecture: architecture)
        let c = try XCTUnwrap(ref["config"] as? [String: Any])
        if let layers = c["mask_head_layers"] as? [Int] { config.maskHeadLayers = layers }
        if let d = c["mask_predictor_dim_reduced"] as? Int { config.maskPredictorDimReduced = d }
        XCTAssertNotNil(config.maskHeadLayers, "\(name): a Mask R-CNN config")
        let weights: WeightSource
        if ref["weights_file"] is [String] {
            weights = try Self.tinyWeights(ref)
        } else {
            let gains = try XCTUnwrap(ref["weight_gain"] as? [Double])
            weights = RuleWeights.stateDict(try XCTUnwrap(ref["state_dict"] as? [String: Any]), gain: (gains[0], gains[1]))
        }
        let model = try FasterRCNN.load(weights, config: config, name: name)
        XCTAssertEqual(model.info.task, .segment)
        let boxTests = FasterRCNNReferenceTests(name: "shared checks", testClosure: { _ in })
        for case let image as [String: Any] in try XCTUnwrap(ref["images"] as? [Any]) {
            let file = try XCTUnwrap(image["file"] as? String)
            let decoded = try decodeImage(try SharedData.bytes("datasets/coco128/images/train2017/\(file)")).image
            let trace = try model.trace(decoded)
            let noise = image["noise"] as? [String: Any]
            try boxTests.checkInput(trace, image["transformed"] as? [String: Any], file)
            let match = try boxTests.checkDetections(trace.output.detections, image["detections"] as? [String: Any],
                                                     noise?["detections"], file)
            try checkMasks(trace, pairs: match.pairs, noise: noise?["masks"], image: image,
                           size: (decoded.height, decoded.width), file)
        }
    }

    /// For each detection pair of the margin-aware box comparison whose reference mask the float64 run
    /// reproduces: the mask logits' statistics within 10x the reference's own float32 logit noise, and the binary
    /// mask differing from the reference's at no more pixels than lie within 10x the reference's own float32
    /// probability noise of the 0.5 threshold (the fixture's `near` counts), plus, when the paste box sits within
    /// the box noise of a pixel edge, the pixels along the reference mask's outline; the pasted float maps besides.
    func checkMasks(_ trace: FasterRCNN.Trace, pairs: [Int: Int], noise: Any?, image: [String: Any], size: (Int, Int),
                    _ file: String) throws {
        let refMasks = try XCTUnwrap(image["masks"] as? [[String: Any]])
        let refLogits = try XCTUnwrap(image["mask_logits"] as? [[String: Any]])
        let maskNoise = try XCTUnwrap(noise as? [String: Any], "\(file): no mask noise record (regenerate the fixture)")
        let bands = try XCTUnwrap(maskNoise["bands"] as? [Double])
        let perDetection = try XCTUnwrap(maskNoise["per_detection"] as? [Any])
        let pasteEdges = try XCTUnwrap(maskNoise["paste_edge"] as? [Double])
        let detectionNoise = try ReferenceNoise((image["noise"] as? [String: Any])?["detections"], file)
        let mine = trace.output.detections
        let logits = try XCTUnwrap(trace.maskLogits)
        XCTAssertEqual(logits.shape, [mine.count, 28, 28])
        var borderline = 0, nearPixels = 0, differing = 0
        var worstIoU = 1.0, worstLogit = 0.0
        for (i, j) in pairs.sorted(by: { $0.key < $1.key }) {
            guard let n = perDetection[i] as? [String: Any] else { borderline += 1; continue }  // the float64 run lost it
            // paste_masks_in_image truncates the expanded box (30/28 about its centre) to integers: a corner
            // within the corner noise band of an integer (times 1 + 30/28, the expansion's worst case) can move
            // the pasted mask by a pixel, which changes pixels next to its outline and nowhere else.
            let edgeShift = pasteEdges[i] <= detectionNoise.cornerBand * (1 + 30.0 / 28)
            // Logits: mean, spread and samples of the 28x28 map.
            let r = refLogits[i]
            let map = Array(logits.storage[(j * 784)..<((j + 1) * 784)])
            let mean = map.reduce(0.0) { $0 + Double($1) } / 784
            let tol = max(ReferenceNoise.multiple * (try XCTUnwrap(n["logit"] as? Double)), 1e-5)
            XCTAssertEqual(mean, try XCTUnwrap(r["mean"] as? Double), accuracy: tol, "\(file) #\(i): logit mean")
            for case let s as [Double] in try XCTUnwrap(r["samples"] as? [Any]) {
                let d = abs(Double(map[Int(s[0]) * 28 + Int(s[1])]) - s[2])
                worstLogit = max(worstLogit, d)
                XCTAssertLessThanOrEqual(d, tol, "\(file) #\(i): logit at \(s[0]),\(s[1])")
            }
            // Binary mask in original pixels: differences only where the reference is within its noise of 0.5.
            let band = ReferenceNoise.multiple * (try XCTUnwrap(n["prob"] as? Double))
            let near = try XCTUnwrap(n["near"] as? [Int])
            var allowed = near[bands.firstIndex { $0 >= band } ?? (bands.count - 1)]
            let m = refMasks[i]
            let counts = try XCTUnwrap(m["counts"] as? String)
            let expected = try RLE(compressed: counts, height: size.0, width: size.1)
            if edgeShift {
                borderline += 1
                allowed += Self.outlinePixels(expected)
            }
            let got = try XCTUnwrap(mine[j].mask, "\(file) #\(i): no mask")
            XCTAssertEqual(got.height, size.0); XCTAssertEqual(got.width, size.1)
            let (inter, union) = RLE.intersectionAndUnion(got, expected)
            let maskIoU = union == 0 ? 1 : Double(inter) / Double(union)
            worstIoU = min(worstIoU, maskIoU)
            nearPixels += allowed; differing += union - inter
            XCTAssertLessThanOrEqual(union - inter, allowed, "\(file) #\(i): \(union - inter) mask pixels differ, "
                                     + "\(allowed) are within \(band) of 0.5 in the reference (IoU \(maskIoU), areas \(got.area) vs \(expected.area))")
        }
        print("\(file): \(pairs.count) masks compared (\(borderline) unstable or with a paste box within the noise of a pixel edge), "
              + "worst mask IoU \(worstIoU), \(differing) pixels differ of \(nearPixels) allowed, worst logit difference \(worstLogit)")
        // The pasted float map (before the threshold) for the fixture's chosen detections.
        let paste = MaskPaste(imageHeight: size.0, imageWidth: size.1)
        for case let p as [String: Any] in try XCTUnwrap(image["pasted"] as? [Any]) {
            let i = try XCTUnwrap(p["index"] as? Int)
            guard let j = pairs[i] else { XCTFail("\(file): pasted detection #\(i) unpaired"); continue }
            let probs = sigmoid(Tensor(shape: [784], storage: Array(logits.storage[(j * 784)..<((j + 1) * 784)])))
            let pasted = try probs.storage.withUnsafeBufferPointer { try paste.paste($0, size: 28, box: mine[j].box) }
            let sum = pasted.values.reduce(0.0) { $0 + Double($1) }
            let refSum = try XCTUnwrap(p["sum"] as? Double)
            XCTAssertEqual(sum, refSum, accuracy: 2e-3 * max(1, refSum), "\(file) #\(i): pasted sum")
            for case let s as [Double] in try XCTUnwrap(p["box_samples"] as? [Any]) {
                let (y, x) = (Int(s[0]), Int(s[1]))
                let inside = x >= pasted.x0 && x < pasted.x1 && y >= pasted.y0 && y < pasted.y1
                let v = inside ? Double(pasted.values[(y - pasted.y0) * pasted.width + x - pasted.x0]) : 0
                XCTAssertEqual(v, s[2], accuracy: 2e-3, "\(file) #\(i): pasted value at y \(y) x \(x)")
            }
        }
    }

    /// Pixels within one pixel (8-neighbourhood) of the mask's outline, on either side: all that a one-pixel
    /// move or a one-pixel change of the pasted size can change.
    static func outlinePixels(_ mask: RLE) -> Int {
        let (h, w) = (mask.height, mask.width)
        let p = mask.decodeRowMajor()
        var count = 0
        for y in 0..<h {
            for x in 0..<w {
                let v = p[y * w + x]
                var edge = false
                for dy in -1...1 where !edge {
                    for dx in -1...1 {
                        let (yy, xx) = (y + dy, x + dx)
                        if yy >= 0 && yy < h && xx >= 0 && xx < w && p[yy * w + xx] != v { edge = true; break }
                    }
                }
                if edge { count += 1 }
            }
        }
        return count
    }

    // MARK: - Fixtures

    static func fixture(_ name: String) throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/torchvision_seg/\(name)", withExtension: "json"),
                                "missing fixture \(name).json")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// The tiny model's two committed files (the Faster R-CNN weights and the mask branch) as one state dict.
    static func tinyWeights(_ ref: [String: Any]) throws -> TensorDictionary {
        var tensors: [String: Tensor] = [:]
        for file in try XCTUnwrap(ref["weights_file"] as? [String]) {
            let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/torchvision_seg/\(file)", withExtension: nil))
            let checkpoint = try Checkpoint.load(contentsOf: url.standardizedFileURL.path)
            for key in checkpoint.names { tensors[key] = try checkpoint.tensor(key) }
        }
        return TensorDictionary(tensors)
    }
}
