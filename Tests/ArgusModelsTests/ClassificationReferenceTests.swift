import ArgusImage
import ArgusModels
import ArgusTensor
import ArgusTestSupport
import Foundation
import XCTest

/// torchvision 0.28's classifiers (tools/gen_classification_fixtures.py) at full size, weights from the fixtures'
/// rule, on coco128 images through the IMAGENET1K_V1 preset: the network input, the logits and the top classes.
final class ClassificationReferenceTests: XCTestCase {
    func testAlexNet() throws { try compare(.alexnet) }
    func testVGG16() throws { try compare(.vgg16) }
    func testResNet18() throws { try compare(.resnet18) }
    func testResNet50() throws { try compare(.resnet50) }
    func testMobileNetV3Large() throws { try compare(.mobilenetV3Large) }
    func testMobileNetV3Small() throws { try compare(.mobilenetV3Small) }

    static func fixture(_ name: String) throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/classification/\(name)", withExtension: "json"),
                                "missing fixture \(name).json")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func compare(_ architecture: ClassificationArchitecture) throws {
        let name = architecture.rawValue
        let ref = try Self.fixture(name)
        let listing = try XCTUnwrap(ref["state_dict"] as? [String: Any])
        let gains = try XCTUnwrap(ref["weight_gain"] as? [Double])
        let weights = RuleWeights.stateDict(listing, gain: (gains[0], gains[1]))
        // The architecture is read off the tensors, and the loader takes every key torchvision writes.
        let model = try TorchvisionClassifier.load(weights, name: name)
        XCTAssertEqual(model.architecture, architecture)
        XCTAssertEqual(model.info.task, .classify)
        XCTAssertEqual(model.info.classNames.count, 1000)
        XCTAssertEqual(model.info.classNames.first, "tench")
        let v2 = ClassificationPreset(resizeSize: 232, cropSize: 224)
        for case let image as [String: Any] in try XCTUnwrap(ref["images"] as? [Any]) {
            let file = try XCTUnwrap(image["file"] as? String)
            let what = "\(name) \(file)"
            let decoded = try decodeImage(try SharedData.bytes("datasets/coco128/images/train2017/\(file)")).image
            XCTAssertEqual([decoded.height, decoded.width], image["original_size"] as? [Int], "\(what): size")
            let trace = try model.trace(decoded, options: ClassifyOptions(top: 10))
            // The preset is 8-bit arithmetic up to the normalisation: equal to float32 rounding.
            try SemanticFixtures.checkStats(trace.input, image["input"] as? [String: Any], tolerance: 1e-5, "\(what) input")
            try SemanticFixtures.checkStats(try v2.input(decoded), image["input_232"] as? [String: Any], tolerance: 1e-5,
                                            "\(what) input (resize 232)")

            // Logits: 10x the reference's own float32-vs-float64 difference, never below 1e-4.
            let noise = try XCTUnwrap(image["noise"] as? [String: Any], "\(what): no noise record")
            let logitTolerance = max(1e-4, ReferenceNoise.multiple * (try XCTUnwrap(noise["max_abs_logit"] as? Double)))
            let probabilityTolerance = max(1e-6, ReferenceNoise.multiple * (try XCTUnwrap(noise["max_abs_probability"] as? Double)))
            XCTAssertLessThanOrEqual(probabilityTolerance, 1e-4, "\(what): the reference's own noise is above the 1e-4 goal")
            let logits = trace.logits.storage
            let top = try XCTUnwrap((image["logits"] as? [String: Any])?["top"] as? [[String: Any]])
            for entry in top {
                let id = try XCTUnwrap(entry["class_id"] as? Int)
                XCTAssertEqual(Double(logits[id]), try XCTUnwrap(entry["logit"] as? Double), accuracy: logitTolerance,
                               "\(what): logit of class \(id)")
                XCTAssertEqual(Double(trace.probabilities[id]), try XCTUnwrap(entry["probability"] as? Double),
                               accuracy: probabilityTolerance, "\(what): probability of class \(id)")
            }
            // The top-5 list: the same classes in the same order, except where the float64 reference puts two
            // neighbours within the tolerance of each other (then either order is the reference's own).
            let gaps = try XCTUnwrap(noise["gaps"] as? [Double])
            let mine = trace.output.classes.map(\.classId), theirs = top.compactMap { $0["class_id"] as? Int }
            var borderline = 0
            for k in 0..<5 where mine[k] != theirs[k] {
                let tied = (k > 0 && gaps[k - 1] <= 2 * probabilityTolerance) || gaps[k] <= 2 * probabilityTolerance
                if tied { borderline += 1 } else { XCTFail("\(what): rank \(k + 1) is class \(mine[k]), torchvision's \(theirs[k])") }
            }
            if borderline > 0 { print("\(what): \(borderline) top-5 ranks swapped within the reference's noise") }
            XCTAssertLessThanOrEqual(borderline, 2, "\(what): too many borderline ranks")
            XCTAssertEqual(trace.output.classes.map(\.label), mine.map { model.info.classNames[$0] })
        }
    }
}

/// The ImageClassification preset's resize and center crop, against torchvision (preset.json), and its edge cases.
final class ClassificationPresetTests: XCTestCase {
    func testCenterCropOffsetsRoundHalfToEven() throws {
        // 227 - 224 = 3: round(1.5) = 2; 225 - 224 = 1: round(0.5) = 0.
        let image = try RGBImage(width: 227, height: 225, pixels: (0..<(227 * 225 * 3)).map { UInt8(truncatingIfNeeded: $0 / 3 % 227) })
        let crop = try ClassificationPreset.centerCrop(image, size: 224)
        XCTAssertEqual(crop.pixels[0], 2, "left offset")
        XCTAssertEqual(crop.width, 224)
        let tall = try RGBImage(width: 224, height: 227, pixels: (0..<(224 * 227 * 3)).map { UInt8(truncatingIfNeeded: $0 / (3 * 224)) })
        XCTAssertEqual(try ClassificationPreset.centerCrop(tall, size: 224).pixels[0], 2, "top offset")
    }

    func testCenterCropPadsSmallImagesWithZeros() throws {
        // 3 px wide into 6: torchvision pads left (6 - 3) // 2 = 1 and right 2, then crops at 0.
        let image = try RGBImage(width: 3, height: 6, pixels: [UInt8](repeating: 200, count: 3 * 6 * 3))
        let crop = try ClassificationPreset.centerCrop(image, size: 6)
        let row = (0..<6).map { crop.pixels[$0 * 3] }
        XCTAssertEqual(row, [0, 200, 200, 200, 0, 0])
    }

    func testPresetMatchesTorchvision() throws {
        let ref = try ClassificationReferenceTests.fixture("preset")
        let synthetic = try Self.synthetic(try XCTUnwrap(ref["synthetic"] as? [String: Any]))
        for case let entry as [String: Any] in try XCTUnwrap(ref["cases"] as? [Any]) {
            let what = try XCTUnwrap(entry["name"] as? String)
            let preset = ClassificationPreset(resizeSize: try XCTUnwrap(entry["resize_size"] as? Int),
                                              cropSize: try XCTUnwrap(entry["crop_size"] as? Int))
            var image = synthetic
            if let file = entry["file"] as? String {
                image = try decodeImage(try SharedData.bytes("datasets/coco128/images/train2017/\(file)")).image
            }
            XCTAssertEqual([image.height, image.width], entry["original_size"] as? [Int], what)
            try SemanticFixtures.checkStats(try preset.input(image), entry["input"] as? [String: Any], tolerance: 1e-5, what)
        }
    }

    /// The generator's 150x200 image: R = 255 x // 199, G = 255 y // 149, B = (7 x + 13 y) % 256; checked by its sum.
    static func synthetic(_ spec: [String: Any]) throws -> RGBImage {
        let size = try XCTUnwrap(spec["size"] as? [Int])
        let (h, w) = (size[0], size[1])
        var pixels = [UInt8](repeating: 0, count: h * w * 3)
        for y in 0..<h {
            for x in 0..<w {
                pixels[(y * w + x) * 3] = UInt8(255 * x / (w - 1))
                pixels[(y * w + x) * 3 + 1] = UInt8(255 * y / (h - 1))
                pixels[(y * w + x) * 3 + 2] = UInt8((7 * x + 13 * y) % 256)
            }
        }
        XCTAssertEqual(pixels.reduce(0) { $0 + Int($1) }, spec["sum"] as? Int, "synthetic image")
        return try RGBImage(width: w, height: h, pixels: pixels)
    }
}
