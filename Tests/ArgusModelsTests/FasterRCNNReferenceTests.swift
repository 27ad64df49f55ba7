import ArgusDetection
import ArgusImage
import ArgusModels
import ArgusTensor
import ArgusTestSupport
import ArgusWeights
import Foundation
import XCTest

/// Faster R-CNN against torchvision 0.28 (tools/gen_torchvision_fixtures.py): the transformed input, FPN
/// features, RPN proposals and all 100 detections per image (box score threshold 0) on coco128 images.
final class FasterRCNNReferenceTests: XCTestCase {
    func testTinyMobileNetFPN() throws {
        try compare(fixture: "fasterrcnn_mnv3_tiny", architecture: .mobilenetV3LargeFPN)
    }

    func testTinyMobileNet320FPN() throws {
        try compare(fixture: "fasterrcnn_mnv3_320_tiny", architecture: .mobilenetV3Large320FPN)
    }

    /// Full size: all but v2 (its conv box head on 1000 RoIs takes ~15 s per image) run every time.
    func testFullSizeMobileNet320FPN() throws {
        try compare(fixture: "fasterrcnn_mobilenet_v3_large_320_fpn", architecture: .mobilenetV3Large320FPN)
    }

    func testFullSizeMobileNetFPN() throws {
        try compare(fixture: "fasterrcnn_mobilenet_v3_large_fpn", architecture: .mobilenetV3LargeFPN)
    }

    /// ResNet-50 FPN at 800 px runs every time (about 10 s): it is the 4-level RoI mapping's test too.
    func testFullSizeResNet50FPN() throws {
        try compare(fixture: "fasterrcnn_resnet50_fpn", architecture: .resnet50FPN)
    }

    func testFullSizeResNet50FPNv2() throws {
        try requireFullSize()
        try compare(fixture: "fasterrcnn_resnet50_fpn_v2", architecture: .resnet50FPNv2)
    }

    func requireFullSize() throws {
        guard ProcessInfo.processInfo.environment["ARGUS_FULL_SIZE"] == "1" else {
            throw XCTSkip("fasterrcnn_resnet50_fpn_v2 full-size comparison: set ARGUS_FULL_SIZE=1 (about 30 s in release)")
        }
    }

    // MARK: - Comparison

    func compare(fixture name: String, architecture: FasterRCNNArchitecture) throws {
        let ref = try Self.fixture(name)
        let config = try Self.config(ref, architecture: architecture)
        let listing = try XCTUnwrap(ref["state_dict"] as? [String: Any])
        let gains = try XCTUnwrap(ref["weight_gain"] as? [Double])
        let weights: WeightSource
        if let file = ref["weights_file"] as? String {
            let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/torchvision/\(file)", withExtension: nil))
            let checkpoint = try Checkpoint.load(contentsOf: url.path)
            // The committed state dict was made with the same rule: check the generator against it.
            let generated = RuleWeights.stateDict(listing, gain: (gains[0], gains[1]))
            for key in generated.tensors.keys.sorted().prefix(400) {
                let expected = try checkpoint.tensor(key)
                XCTAssertEqual(generated.tensors[key]!.storage, expected.storage, "rule weights differ from \(file) at \(key)")
            }
            weights = checkpoint
        } else {
            weights = RuleWeights.stateDict(listing, gain: (gains[0], gains[1]))
        }
        for (key, entry) in listing {
            guard let e = entry as? [String: Any], let sum = e["sum"] as? Double, e["dtype"] as? String == "float32",
                  let dict = weights as? TensorDictionary, let t = dict.tensors[key] else { continue }
            let mine = t.storage.reduce(0.0) { $0 + Double($1) }
            XCTAssertEqual(mine, sum, accuracy: 1e-6 * max(1, abs(sum)), "weight rule: sum of \(key)")
        }
        let model = try FasterRCNN.load(weights, config: config, name: name)

        for case let image as [String: Any] in try XCTUnwrap(ref["images"] as? [Any]) {
            let file = try XCTUnwrap(image["file"] as? String)
            let bytes = try SharedData.bytes("datasets/coco128/images/train2017/\(file)")
            let decoded = try decodeImage(bytes).image
            let trace = try model.trace(decoded)
            try checkInput(trace, image["transformed"] as? [String: Any], file)
            let noise = image["noise"] as? [String: Any]
            try checkFeatures(trace.features, image["features"] as? [Any], noise, file)
            try checkProposals(trace, image["proposals"] as? [String: Any], noise, file)
            try checkDetections(trace.output.detections, image["detections"] as? [String: Any], noise?["detections"], file)
            if let given = image["given_proposals"] as? [String: Any] {
                // Fast R-CNN mode: the caller's proposals instead of the RPN's, with RoI Align and RoI Pool.
                let proposals = try XCTUnwrap(given["boxes"] as? [[Double]]).map(Self.box)
                for pooling in RoIPooling.allCases {
                    let output = try model.detect(decoded, proposals: proposals, pooling: pooling)
                    let det = given[pooling.rawValue] as? [String: Any]
                    // RoI Pool rounds box edges to feature cells: the reference's float64 run moves ~8% of
                    // these detections by itself, so up to 10% may be borderline there.
                    try checkDetections(output.detections, det, det?["noise"], borderlineBound: pooling == .pool ? 0.10 : 0.05,
                                        "\(file) given proposals, \(pooling)")
                }
            }
        }
    }

    func checkInput(_ trace: FasterRCNN.Trace, _ ref: [String: Any]?, _ file: String) throws {
        let ref = try XCTUnwrap(ref)
        XCTAssertEqual(trace.input.shape, ref["tensor_shape"] as? [Int], "\(file): padded input shape")
        XCTAssertEqual([trace.imageSize.0, trace.imageSize.1], ref["image_size"] as? [Int], "\(file): resized size")
        try checkStats(trace.input, ref, tolerance: 1e-5, "\(file) input")
    }

    /// Float32 convolutions summed in another order: relative to the level's spread, 10x the reference's own
    /// float32 noise on that level (largest |float32 - float64| / std) and never below 1e-3.
    func checkFeatures(_ features: [Tensor], _ ref: [Any]?, _ noise: [String: Any]?, _ file: String) throws {
        let ref = try XCTUnwrap(ref as? [[String: Any]])
        let levels = try XCTUnwrap(noise?["features"] as? [[String: Any]], "\(file): no feature noise record")
        XCTAssertEqual(features.count, ref.count, "\(file): FPN level count")
        for ((f, r), n) in zip(zip(features, ref), levels) {
            XCTAssertEqual(f.shape, r["shape"] as? [Int], "\(file): level \(r["name"] ?? "?") shape")
            guard f.shape == r["shape"] as? [Int] else { continue }
            let std = (r["std"] as? Double) ?? 1
            let relative = max(1e-3, ReferenceNoise.multiple * (n["max_rel_std"] as? Double ?? 1))
            try checkStats(f, r, tolerance: relative * max(std, 1e-3), "\(file) level \(r["name"] ?? "?")")
        }
    }

    func checkStats(_ t: Tensor, _ ref: [String: Any], tolerance: Double, _ what: String) throws {
        let n = Double(t.count)
        let mean = t.storage.reduce(0.0) { $0 + Double($1) } / n
        let variance = t.storage.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1)
        XCTAssertEqual(mean, try XCTUnwrap(ref["mean"] as? Double), accuracy: tolerance, "\(what): mean")
        XCTAssertEqual(variance.squareRoot(), try XCTUnwrap(ref["std"] as? Double), accuracy: tolerance * 10, "\(what): std")
        let (c, h, w) = (t.shape[1], t.shape[2], t.shape[3])
        for case let sample as [Double] in try XCTUnwrap(ref["samples"] as? [Any]) {
            let (ci, yi, xi) = (Int(sample[0]), Int(sample[1]), Int(sample[2]))
            XCTAssert(ci < c && yi < h && xi < w)
            let v = Double(t.storage[(ci * h + yi) * w + xi])
            XCTAssertEqual(v, sample[3], accuracy: tolerance * 10, "\(what): sample at \(ci),\(yi),\(xi)")
        }
    }

    /// The reference's top proposals among ours, margin-aware (ReferenceMargins.swift): every proposal the
    /// reference's float64 run reproduces, with objectness and corners within 10x the reference's own float32
    /// noise; at most 5% borderline. The count must match unless the reference's float64 run changes it too.
    func checkProposals(_ trace: FasterRCNN.Trace, _ ref: [String: Any]?, _ noise: [String: Any]?, _ file: String) throws {
        let ref = try XCTUnwrap(ref)
        let top = try XCTUnwrap(ref["top"] as? [[Double]]).map(Self.box)
        let scores = try XCTUnwrap(ref["top_scores"] as? [Double])
        let n = try XCTUnwrap(noise?["proposals"] as? [String: Any], "\(file): no proposal noise record")
        let counts = try XCTUnwrap(n["count"] as? [Int])
        XCTAssertLessThanOrEqual(abs(trace.proposals.count - counts[0]), abs(counts[0] - counts[1]),
                                 "\(file): proposal count \(trace.proposals.count) vs the reference's \(counts[0]) (float64: \(counts[1]))")
        let reference = zip(top, scores).map { ReferenceItem(box: $0, score: $1, label: 0) }
        let mine = zip(trace.proposals, trace.proposalScores).map { ReferenceItem(box: $0, score: Double($1), label: 0) }
        ReferenceMatch.check(mine, against: reference, noise: try ReferenceNoise(n, file), borderlineBound: 0.05,
                             exactCount: false, searchWindow: 20, "\(file) proposals")
    }

    /// All reference detections (100 at box score threshold 0), margin-aware (ReferenceMargins.swift): at most
    /// 5% borderline unless stated. Equal scores make torchvision's order arbitrary, so sets are compared.
    @discardableResult
    func checkDetections(_ mine: [Detection], _ ref: [String: Any]?, _ noise: Any?, borderlineBound: Double = 0.05,
                         _ file: String) throws -> ReferenceMatch {
        let reference = try ReferenceItem.list(ref, file)
        return ReferenceMatch.check(mine.map(ReferenceItem.init), against: reference, noise: try ReferenceNoise(noise, file),
                                    borderlineBound: borderlineBound, "\(file) detections")
    }

    // MARK: - Fixture loading

    static func box(_ v: [Double]) -> Box { Box(x1: Float(v[0]), y1: Float(v[1]), x2: Float(v[2]), y2: Float(v[3])) }

    static func fixture(_ name: String) throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/torchvision/\(name)", withExtension: "json"),
                                "missing fixture \(name).json")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// The fixture's torchvision settings as a FasterRCNNConfig (only the keys that exist in both).
    static func config(_ ref: [String: Any], architecture: FasterRCNNArchitecture) throws -> FasterRCNNConfig {
        var c = try XCTUnwrap(ref["config"] as? [String: Any])
        var json: [String: Any] = ["architecture": architecture.rawValue]
        if let sizes = c.removeValue(forKey: "min_size") as? [Int] { json["min_size"] = sizes.last }
        let shared = ["num_classes", "max_size", "image_mean", "image_std", "size_divisible", "anchor_sizes", "aspect_ratios",
                      "rpn_pre_nms_top_n_test", "rpn_post_nms_top_n_test", "rpn_nms_thresh", "rpn_score_thresh",
                      "box_score_thresh", "box_nms_thresh", "box_detections_per_img", "box_coder_weights",
                      "rpn_box_coder_weights", "representation_size", "width_mult", "fpn_out_channels", "returned_layers"]
        for key in shared { if let v = c[key] { json[key] = v } }
        if let pool = c["box_roi_pool"] as? [String: Any] {
            json["roi_output_size"] = (pool["output_size"] as? [Int])?.first
            json["sampling_ratio"] = pool["sampling_ratio"]
        }
        let data = try JSONSerialization.data(withJSONObject: json)
        return try JSONDecoder().decode(FasterRCNNConfig.self, from: data)
    }
}
