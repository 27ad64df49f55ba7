import ArgusDetection
import ArgusImage
import ArgusTensor
import ArgusTestSupport
import ArgusWeights
import Foundation
import XCTest
@testable import ArgusModels

/// SSD300, SSDlite and RetinaNet (v1, v2) against torchvision 0.28 (tools/gen_single_stage_fixtures.py) at
/// torchvision's default thresholds: the transformed input, the feature maps, the head outputs, the default
/// boxes / anchors and every detection on coco128 images, margin-aware (ReferenceMargins.swift).
final class SingleStageReferenceTests: XCTestCase {
    /// The committed tiny SSDlite (width 0.25, 5 classes), loaded from its file as a user would: recognised and
    /// fitted from the tensors.
    func testTinySSDlite() throws {
        let ref = try Self.fixture("ssdlite_tiny")
        let file = try XCTUnwrap(ref["weights_file"] as? String)
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/single_stage/\(file)", withExtension: nil))
        let checkpoint = try Checkpoint.load(contentsOf: url.path)
        try checkRuleGenerator(ref, against: checkpoint)
        let model = try XCTUnwrap(try ModelLoader.loadModel(contentsOf: url.path).detector as? SSD)
        XCTAssertEqual(model.config.architecture, .ssdlite320MobileNetV3Large)
        XCTAssertEqual(model.config.widthMult, 0.25)
        XCTAssertTrue(model.config.reducedTail)
        XCTAssertEqual(model.info.classNames.count, 5)
        try checkConfig(model.config, ref)
        try compare(ref, name: "ssdlite_tiny") { try model.trace($0).run }
    }

    func testFullSizeSSD300() throws { try compareFullSize("ssd300_vgg16") }

    func testFullSizeSSDlite320() throws { try compareFullSize("ssdlite320_mobilenet_v3_large") }

    func testFullSizeRetinaNet() throws { try compareFullSize("retinanet_resnet50_fpn") }

    func testFullSizeRetinaNetV2() throws { try compareFullSize("retinanet_resnet50_fpn_v2") }

    /// The legacy (torchvision < 0.13) key names of RetinaNet's head towers load as the published v1 file has them.
    func testRetinaNetLegacyHeadNames() throws {
        XCTAssertEqual(StateDictReader.legacyName("head.classification_head.conv.3.0.weight"), "head.classification_head.conv.6.weight")
        XCTAssertEqual(StateDictReader.legacyName("head.regression_head.conv.0.0.bias"), "head.regression_head.conv.0.bias")
        XCTAssertNil(StateDictReader.legacyName("head.regression_head.bbox_reg.weight"))
    }

    // MARK: - Comparison

    /// A full-size model on the rule's weights: recognised from the tensors, with torchvision's defaults.
    func compareFullSize(_ name: String) throws {
        let ref = try Self.fixture(name)
        let listing = try XCTUnwrap(ref["state_dict"] as? [String: Any])
        let gains = try XCTUnwrap(ref["weight_gain"] as? [Double])
        let offsets = (ref["bias_offset"] as? [String: Double]) ?? [:]
        let weights = RuleWeights.stateDict(listing, gain: (gains[0], gains[1]), offsets: offsets)
        try checkSums(listing, weights, offsets: offsets)
        if SSDCheckpoint.recognizes(weights) {
            let arch = try SSDCheckpoint.architecture(weights)
            XCTAssertEqual(arch.rawValue, name)
            let config = try SSDCheckpoint.fitted(.defaults(for: arch), to: weights)
            XCTAssertEqual(config, .defaults(for: arch), "\(name): torchvision's builder gives the defaults")
            try checkConfig(config, ref)
            let model = try SSD.load(weights, config: config, name: name)
            try compare(ref, name: name) { try model.trace($0).run }
            try checkSmallestInput(model)
        } else {
            XCTAssertTrue(RetinaNetCheckpoint.recognizes(weights), "\(name): neither an SSD nor a RetinaNet state dict")
            XCTAssertFalse(TorchvisionCheckpoint.isFasterRCNN(weights))
            let arch = try RetinaNetCheckpoint.architecture(weights)
            XCTAssertEqual(arch.rawValue, name)
            let config = try RetinaNetCheckpoint.fitted(.defaults(for: arch), to: weights)
            XCTAssertEqual(config, .defaults(for: arch), "\(name): torchvision's builder gives the defaults")
            try checkConfig(config, ref)
            let model = try RetinaNet.load(weights, config: config, name: name)
            try compare(ref, name: name) { image in
                let t = try model.trace(image)
                // Box n of the concatenation: its level, location and anchor; channel a * K + j of that level's output.
                let a = config.anchorsPerLocation
                let counts = t.headOutputs.map { $0.logits.shape[2] * $0.logits.shape[3] * a }
                func value(_ outputs: KeyPath<(logits: Tensor, deltas: Tensor), Tensor>, _ columns: Int) -> (Int, Int) -> Float {
                    { n, j in
                        var level = 0, local = n
                        while local >= counts[level] { local -= counts[level]; level += 1 }
                        let map = t.headOutputs[level][keyPath: outputs]
                        let plane = map.shape[2] * map.shape[3]
                        return map.storage[((local % a) * columns + j) * plane + local / a]
                    }
                }
                return Run(input: t.input, features: t.features, logit: value(\.logits, config.numClasses),
                           delta: value(\.deltas, 4),
                           anchors: model.anchors(gridSizes: t.features.map { ($0.shape[2], $0.shape[3]) },
                                                  paddedSize: (t.input.shape[2], t.input.shape[3])),
                           candidates: t.candidates, detections: t.output.detections)
            }
        }
    }

    /// SSD300 runs down to its smallest input (268, where its last map is 1x1) and refuses a smaller `imgsz` as an
    /// invalid option (a 400 over HTTP), not as a failed convolution; SSDlite runs at the smallest `imgsz`.
    func checkSmallestInput(_ model: SSD) throws {
        let image = RGBImage(width: 40, height: 30, fill: (128, 96, 64))
        switch model.config.architecture {
        case .ssd300VGG16:
            let t = try model.trace(image, options: DetectOptions(imageSize: SSDVGGFeatures.minimumInputSide))
            XCTAssertEqual(t.features.last.map { [$0.shape[2], $0.shape[3]] }, [1, 1])
            XCTAssertThrowsError(try model.detect(image, options: DetectOptions(imageSize: SSDVGGFeatures.minimumInputSide - 1))) {
                XCTAssertEqual(($0 as? ModelError).map { if case .invalidOption = $0 { return true } else { return false } }, true, "\($0)")
            }
        case .ssdlite320MobileNetV3Large:
            XCTAssertNoThrow(try model.detect(image, options: DetectOptions(imageSize: 32)))
        }
    }

    /// What a family's trace gives the comparison.
    struct Run {
        var input: Tensor
        var features: [Tensor]
        /// torchvision's concatenated head outputs: box n's class-j logit (j < K) and its delta j (j < 4).
        var logit: (Int, Int) -> Float
        var delta: (Int, Int) -> Float
        var anchors: [Box]
        var candidates: Int
        var detections: [Detection]
    }

    func compare(_ ref: [String: Any], name: String, run: (RGBImage) throws -> Run) throws {
        let shared = FasterRCNNReferenceTests(name: "shared checks", testClosure: { _ in })
        for case let image as [String: Any] in try XCTUnwrap(ref["images"] as? [Any]) {
            let file = try XCTUnwrap(image["file"] as? String)
            let decoded = try decodeImage(try SharedData.bytes("datasets/coco128/images/train2017/\(file)")).image
            let r = try run(decoded)
            let what = "\(name) \(file)"
            let transformed = try XCTUnwrap(image["transformed"] as? [String: Any])
            XCTAssertEqual(r.input.shape, transformed["tensor_shape"] as? [Int], "\(what): input shape")
            try shared.checkStats(r.input, transformed, tolerance: 1e-5, "\(what) input")
            let noise = image["noise"] as? [String: Any]
            try shared.checkFeatures(r.features, image["features"] as? [Any], noise, what)
            try checkAnchors(r.anchors, image["anchors"] as? [String: Any], what)
            let head = try XCTUnwrap(image["head"] as? [String: Any]), headNoise = noise?["head"] as? [String: Any]
            try checkHead(r.logit, head["cls_logits"], headNoise?["cls_logits"], "\(what) class logits")
            try checkHead(r.delta, head["bbox_regression"], headNoise?["bbox_regression"], "\(what) box deltas")
            let detections = try XCTUnwrap(image["detections"] as? [String: Any])
            let reference = try ReferenceItem.list(detections, what)
            XCTAssertGreaterThan(reference.count, 0, "\(what): a fixture without detections tests nothing")
            if let candidates = image["candidates"] as? Int {
                print("\(what): \(r.candidates) NMS candidates (torchvision: \(candidates)), \(r.detections.count) detections (\(reference.count))")
            }
            // RetinaNet scores the anchors of the padding too; those boxes clip to a zero-width (or -height) box on the
            // image's edge. The margin rule counts a box under a pixel as borderline (its IoU is noise-sensitive), so
            // they are bounded apart from the 5% (at most a fifth of the list), and must match like the rest.
            let degenerate = reference.filter { $0.box.x2 - $0.box.x1 < 1 || $0.box.y2 - $0.box.y1 < 1 }.count
            XCTAssertLessThanOrEqual(degenerate * 5, reference.count, "\(what): \(degenerate) boxes under a pixel wide or tall")
            if degenerate > 0 { print("\(what): \(degenerate) reference boxes under a pixel wide or tall (clipped to the edge)") }
            try shared.checkDetections(r.detections, detections, noise?["detections"],
                                       borderlineBound: 0.05 + Double(degenerate) / Double(reference.count), what)
        }
    }

    /// Every recorded default box / anchor (samples, the first and the last four), to 1e-4 px: the same Float32
    /// arithmetic as torchvision's.
    func checkAnchors(_ anchors: [Box], _ ref: [String: Any]?, _ what: String) throws {
        let ref = try XCTUnwrap(ref, "\(what): no anchor record")
        XCTAssertEqual(anchors.count, ref["count"] as? Int, "\(what): anchor count")
        guard anchors.count == ref["count"] as? Int else { return }
        var expected = try XCTUnwrap(ref["samples"] as? [[Double]]).map { (Int($0[0]), Array($0.dropFirst())) }
        let first = try XCTUnwrap(ref["first"] as? [[Double]]), last = try XCTUnwrap(ref["last"] as? [[Double]])
        expected += first.enumerated().map { ($0, $1) } + last.enumerated().map { (anchors.count - last.count + $0, $1) }
        for (i, box) in expected {
            let a = anchors[i]
            for (mine, theirs) in zip([a.x1, a.y1, a.x2, a.y2], box) {
                XCTAssertEqual(Double(mine), theirs, accuracy: 1e-4 * max(1, abs(theirs)), "\(what): anchor \(i)")
            }
        }
    }

    /// The head's outputs at the recorded indices: within 10x the reference's own float32 noise (relative to the
    /// output's spread), never below 1e-3 of it.
    func checkHead(_ value: (Int, Int) -> Float, _ ref: Any?, _ noise: Any?, _ what: String) throws {
        let ref = try XCTUnwrap(ref as? [String: Any], "\(what): no record")
        let n = try XCTUnwrap(noise as? [String: Any], "\(what): no noise record")
        let std = try XCTUnwrap(ref["std"] as? Double)
        let tolerance = max(1e-3, ReferenceNoise.multiple * (n["max_rel_std"] as? Double ?? 1)) * std
        let samples = try XCTUnwrap(ref["samples"] as? [[Double]]) + ((ref["tail_samples"] as? [[Double]]) ?? [])
        for s in samples {
            XCTAssertEqual(Double(value(Int(s[0]), Int(s[1]))), s[2], accuracy: tolerance, "\(what) at \(Int(s[0])), \(Int(s[1]))")
        }
    }

    // MARK: - Fixture

    static func fixture(_ name: String) throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/single_stage/\(name)", withExtension: "json"),
                                "missing fixture \(name).json")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// The committed state dict was made with the weight rule: check the Swift generator against it.
    func checkRuleGenerator(_ ref: [String: Any], against checkpoint: Checkpoint) throws {
        let listing = try XCTUnwrap(ref["state_dict"] as? [String: Any])
        let gains = try XCTUnwrap(ref["weight_gain"] as? [Double])
        let offsets = (ref["bias_offset"] as? [String: Double]) ?? [:]
        let generated = RuleWeights.stateDict(listing, gain: (gains[0], gains[1]), offsets: offsets)
        for key in generated.tensors.keys.sorted() {
            XCTAssertEqual(generated.tensors[key]!.storage, try checkpoint.tensor(key).storage, "rule weights differ at \(key)")
        }
    }

    func checkSums(_ listing: [String: Any], _ weights: TensorDictionary, offsets: [String: Double]) throws {
        for (key, entry) in listing {
            guard let e = entry as? [String: Any], let sum = e["sum"] as? Double, e["dtype"] as? String == "float32",
                  let t = weights.tensors[key] else { continue }
            let mine = t.storage.reduce(0.0) { $0 + Double($1) }
            XCTAssertEqual(mine, sum, accuracy: 1e-6 * max(1, abs(sum)) + 1e-6 * Double(t.count), "weight rule: sum of \(key)")
        }
    }

    /// The hyper-parameters torchvision's built module holds equal the model's.
    func checkConfig(_ c: SSDConfig, _ ref: [String: Any]) throws {
        try checkPostprocess(c.numClasses, c.scoreThresh, c.nmsThresh, c.detectionsPerImg, c.topkCandidates, ref)
    }

    func checkConfig(_ c: RetinaNetConfig, _ ref: [String: Any]) throws {
        try checkPostprocess(c.numClasses, c.scoreThresh, c.nmsThresh, c.detectionsPerImg, c.topkCandidates, ref)
    }

    func checkPostprocess(_ classes: Int, _ score: Float, _ nms: Double, _ detections: Int, _ topk: Int,
                          _ ref: [String: Any]) throws {
        let r = try XCTUnwrap(ref["config"] as? [String: Any])
        XCTAssertEqual(classes, r["num_classes"] as? Int)
        XCTAssertEqual(Double(score), r["score_thresh"] as? Double ?? -1, accuracy: 1e-9)
        XCTAssertEqual(nms, r["nms_thresh"] as? Double)
        XCTAssertEqual(detections, r["detections_per_img"] as? Int)
        XCTAssertEqual(topk, r["topk_candidates"] as? Int)
    }
}

extension SSD.Trace {
    var run: SingleStageReferenceTests.Run {
        let (logits, deltas) = (self.logits, self.deltas)
        let k = logits.shape[1]
        return .init(input: input, features: features, logit: { logits.storage[$0 * k + $1] },
                     delta: { deltas.storage[$0 * 4 + $1] }, anchors: anchors, candidates: candidates,
                     detections: output.detections)
    }
}
