import ArgusDetection
import ArgusImage
import ArgusModels
import ArgusTensor
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
            try checkFeatures(trace.features, image["features"] as? [Any], file)
            try checkProposals(trace, image["proposals"] as? [String: Any], file)
            try checkDetections(trace.output.detections, image["detections"] as? [String: Any], file)
            if let given = image["given_proposals"] as? [String: Any] {
                // Fast R-CNN mode: the caller's proposals instead of the RPN's, with RoI Align and RoI Pool.
                let proposals = try XCTUnwrap(given["boxes"] as? [[Double]]).map(Self.box)
                for pooling in RoIPooling.allCases {
                    let output = try model.detect(decoded, proposals: proposals, pooling: pooling)
                    try checkDetections(output.detections, given[pooling.rawValue] as? [String: Any], "\(file) given proposals, \(pooling)")
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

    func checkFeatures(_ features: [Tensor], _ ref: [Any]?, _ file: String) throws {
        let ref = try XCTUnwrap(ref as? [[String: Any]])
        XCTAssertEqual(features.count, ref.count, "\(file): FPN level count")
        for (f, r) in zip(features, ref) {
            XCTAssertEqual(f.shape, r["shape"] as? [Int], "\(file): level \(r["name"] ?? "?") shape")
            guard f.shape == r["shape"] as? [Int] else { continue }
            // Float32 convolutions summed in another order: relative to the level's spread.
            let std = (r["std"] as? Double) ?? 1
            try checkStats(f, r, tolerance: 1e-3 * max(std, 1e-3), "\(file) level \(r["name"] ?? "?")")
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

    /// The reference's top proposals must be among ours (IoU >= 0.99, objectness within 1e-3): >= 99%.
    func checkProposals(_ trace: FasterRCNN.Trace, _ ref: [String: Any]?, _ file: String) throws {
        let ref = try XCTUnwrap(ref)
        let top = try XCTUnwrap(ref["top"] as? [[Double]]).map(Self.box)
        let scores = try XCTUnwrap(ref["top_scores"] as? [Double])
        XCTAssertEqual(trace.proposals.count, ref["count"] as? Int, "\(file): proposal count")
        var used = Set<Int>()
        var matched = 0
        for (b, s) in zip(top, scores) {
            // Search a little past the reference's rank: ties and 1-ulp score differences reorder neighbours.
            let window = trace.proposals.indices.prefix(top.count + 20)
            if let j = window.filter({ !used.contains($0) && abs(Double(trace.proposalScores[$0]) - s) <= 1e-3 })
                .max(by: { iou(trace.proposals[$0], b) < iou(trace.proposals[$1], b) }),
               Self.same(trace.proposals[j], b) {
                used.insert(j); matched += 1
            } else {
                let best = trace.proposals.indices.max { iou(trace.proposals[$0], b) < iou(trace.proposals[$1], b) }
                print("\(file): unmatched reference proposal \(b) score \(s); closest of ours: "
                      + (best.map { "#\($0) \(trace.proposals[$0]) score \(trace.proposalScores[$0]) IoU \(iou(trace.proposals[$0], b))" } ?? "none"))
            }
        }
        print("\(file): \(matched)/\(top.count) top proposals matched, \(trace.proposals.count) proposals")
        XCTAssertGreaterThanOrEqual(Double(matched), 0.99 * Double(top.count), "\(file): \(matched)/\(top.count) top proposals matched")
    }

    /// Every reference detection (all 100) needs one of ours with the same class, IoU >= 0.99 and score
    /// within 1e-3: at least 99% must match. Equal scores make torchvision's order arbitrary, so sets are compared.
    func checkDetections(_ mine: [Detection], _ ref: [String: Any]?, _ file: String) throws {
        let ref = try XCTUnwrap(ref)
        let boxes = try XCTUnwrap(ref["boxes"] as? [[Double]]).map(Self.box)
        let scores = try XCTUnwrap(ref["scores"] as? [Double])
        let labels = try XCTUnwrap(ref["labels"] as? [Int])
        XCTAssertEqual(mine.count, boxes.count, "\(file): detection count")
        var used = Set<Int>()
        var matched = 0
        var worstScore = 0.0
        for i in boxes.indices {
            let candidates = mine.indices.filter { !used.contains($0) && mine[$0].classId == labels[i] }
            guard let j = candidates.max(by: { iou(mine[$0].box, boxes[i]) < iou(mine[$1].box, boxes[i]) }),
                  Self.same(mine[j].box, boxes[i]), abs(Double(mine[j].score) - scores[i]) <= 1e-3 else { continue }
            worstScore = max(worstScore, abs(Double(mine[j].score) - scores[i]))
            used.insert(j); matched += 1
        }
        print("\(file): \(matched)/\(boxes.count) detections matched, worst score difference \(worstScore)")
        XCTAssertGreaterThanOrEqual(Double(matched), 0.99 * Double(boxes.count),
                                    "\(file): \(matched)/\(boxes.count) detections matched (worst score diff \(worstScore))")
    }

    /// IoU >= 0.99, or corners within 0.01 px: a degenerate box (the RPN keeps boxes down to 1e-3 px) can lose
    /// IoU 0.99 to a 1e-4 px coordinate difference.
    static func same(_ a: Box, _ b: Box) -> Bool {
        iou(a, b) >= 0.99 || max(abs(a.x1 - b.x1), abs(a.y1 - b.y1), abs(a.x2 - b.x2), abs(a.y2 - b.y2)) <= 0.01
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
