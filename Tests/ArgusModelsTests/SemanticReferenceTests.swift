import ArgusImage
import ArgusMask
import ArgusModels
import ArgusTensor
import ArgusTestSupport
import ArgusWeights
import Foundation
import XCTest

/// torchvision 0.28's FCN / DeepLabV3 / LRASPP (tools/gen_segmentation_fixtures.py) on coco128 images at their
/// own size: the normalized input, the head's logits, the upsampled "out" logits and the arg-max label map.
final class SemanticReferenceTests: XCTestCase {
    func testTinyDeepLabV3MobileNet() throws {
        try compare(fixture: "deeplabv3_mnv3_tiny", architecture: .deeplabv3MobileNetV3Large)
    }

    func testTinyLRASPPMobileNet() throws {
        try compare(fixture: "lraspp_mnv3_tiny", architecture: .lrasppMobileNetV3Large)
    }

    func testFullSizeLRASPPMobileNet() throws {
        try compare(fixture: "lraspp_mobilenet_v3_large", architecture: .lrasppMobileNetV3Large)
    }

    func testFullSizeDeepLabV3MobileNet() throws {
        try compare(fixture: "deeplabv3_mobilenet_v3_large", architecture: .deeplabv3MobileNetV3Large)
    }

    /// The dilated ResNet-50s run every time: about 8-10 s each in release (layer4 at stride 8).
    func testFullSizeFCNResNet50() throws {
        try compare(fixture: "fcn_resnet50", architecture: .fcnResNet50)
    }

    func testFullSizeDeepLabV3ResNet50() throws {
        try compare(fixture: "deeplabv3_resnet50", architecture: .deeplabv3ResNet50)
    }

    // MARK: - Comparison

    func compare(fixture name: String, architecture: SemanticArchitecture) throws {
        let ref = try SemanticFixtures.fixture(name)
        let weights = try SemanticFixtures.weights(ref)
        let model = try TorchvisionSegmenter.load(weights, architecture: architecture, name: name)
        XCTAssertEqual(model.info.classNames.count, 21)
        XCTAssertEqual(model.info.task, .semantic)
        if let width = (ref["config"] as? [String: Any])?["width_mult"] as? Double {
            XCTAssertEqual(model.config.widthMult, width, "\(name): width multiplier read off the tensors")
        }
        for case let image as [String: Any] in try XCTUnwrap(ref["images"] as? [Any]) {
            let file = try XCTUnwrap(image["file"] as? String)
            let decoded = try decodeImage(try SharedData.bytes("datasets/coco128/images/train2017/\(file)")).image
            let trace = try model.trace(decoded)
            try SemanticFixtures.checkStats(trace.input, image["input"] as? [String: Any], tolerance: 1e-5, "\(name) \(file) input")
            // Float32 convolutions summed in another order: relative to each tensor's spread, 10x the reference's
            // own float32 noise on the logits (largest |float32 - float64| / std), never below 1e-3.
            let noise = try XCTUnwrap((image["noise"] as? [String: Any])?["out"] as? [String: Any], "\(name): no noise record")
            let relative = max(1e-3, ReferenceNoise.multiple * (try XCTUnwrap(noise["max_rel_std"] as? Double)))
            for (tensor, key) in [(trace.head, "head"), (trace.out, "out")] {
                let r = image[key] as? [String: Any]
                let std = (r?["std"] as? Double) ?? 1
                try SemanticFixtures.checkStats(tensor, r, tolerance: relative * max(std, 1e-3), "\(name) \(file) \(key)")
            }
            try Self.checkLabels(trace.output.labels, image, "\(name) \(file)")
        }
    }

    /// >= 99.9% of pixels agree, and every disagreement is at a pixel whose top-2 reference scores are within
    /// 8x the reference's own float32 noise of each other (the fixture's `ambiguous` list, `eps`; at least 1e-4).
    static func checkLabels(_ mine: LabelMap, _ image: [String: Any], _ what: String) throws {
        let ref = try SemanticFixtures.labelMap(try XCTUnwrap(image["label_map"] as? String))
        XCTAssertEqual([mine.height, mine.width], [ref.height, ref.width], "\(what): label map size")
        guard mine.labels.count == ref.labels.count else { return }
        let ambiguous = try XCTUnwrap(image["ambiguous"] as? [String: Any])
        let coords = Set(try XCTUnwrap(ambiguous["coords"] as? [[Int]]).map { $0[0] * ref.width + $0[1] })
        let listedAll = (ambiguous["count"] as? Int ?? 0) <= coords.count
        var differ = 0, unexplained: [(Int, Int)] = []
        for i in mine.labels.indices where mine.labels[i] != ref.labels[i] {
            differ += 1
            if !coords.contains(i) && listedAll { unexplained.append((i / ref.width, i % ref.width)) }
        }
        print("\(what): \(differ) of \(ref.labels.count) labels differ (\(coords.count) ambiguous in the reference)")
        XCTAssertLessThanOrEqual(Double(differ), 0.001 * Double(ref.labels.count), "\(what): \(differ) labels differ")
        XCTAssert(unexplained.isEmpty, "\(what): labels differ at unambiguous pixels (y, x) \(unexplained.prefix(10))")
        // The reference's own per-class pixel counts, as a cross-check of the PNG.
        if let classes = image["classes"] as? [String: Int] {
            var counts: [String: Int] = [:]
            for l in ref.labels { counts[String(l), default: 0] += 1 }
            XCTAssertEqual(counts, classes, "\(what): reference PNG vs its class counts")
        }
    }
}
