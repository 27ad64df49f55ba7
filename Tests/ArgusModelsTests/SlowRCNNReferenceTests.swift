import ArgusDetection
import ArgusImage
import ArgusModels
import ArgusTestSupport
import Foundation
import XCTest

/// R-CNN against tools/gen_rcnn_fixtures.py: the context-padded placements, the warped frames (torchvision
/// roi_align on the cropped window), AlexNet's probabilities per region and the detections after per-class
/// batched_nms; end to end with selective search on a small image. Weights from the fixtures' rule.
final class SlowRCNNReferenceTests: XCTestCase {
    static func fixture(_ name: String) throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/rcnn/\(name)", withExtension: "json"), "missing fixture \(name).json")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func model(_ ref: [String: Any], maxRegions: Int = 2000) throws -> SlowRCNN {
        let listing = try XCTUnwrap(ref["state_dict"] as? [String: Any])
        let gains = try XCTUnwrap(ref["weight_gain"] as? [Double])
        let classifier = try TorchvisionClassifier.load(RuleWeights.stateDict(listing, gain: (gains[0], gains[1])), name: "alexnet")
        let config = SlowRCNNConfig(classifier: ClassificationConfig(architecture: .alexnet), padding: try XCTUnwrap(ref["padding"] as? Int),
                                    maxRegions: maxRegions)
        let model = try SlowRCNN.around(classifier, config: config)
        XCTAssertEqual(model.warp.size, ref["size"] as? Int)
        XCTAssertEqual(model.info.name, "rcnn_alexnet")
        return model
    }

    func testRegionsWarpedScoredAndSuppressed() throws {
        let ref = try Self.fixture("regions")
        let model = try model(ref)
        let file = try XCTUnwrap(ref["file"] as? String)
        let image = try decodeImage(try SharedData.bytes("datasets/coco128/images/train2017/\(file)")).image
        let regions = try XCTUnwrap(ref["regions"] as? [[String: Any]])
        let boxes = try regions.map { r -> Box in
            let b = try XCTUnwrap(r["box"] as? [Double])
            return Box(x1: Float(b[0]), y1: Float(b[1]), x2: Float(b[2]), y2: Float(b[3]))
        }
        let noise = try XCTUnwrap(ref["noise"] as? [String: Any])
        let frameTolerance = max(1e-5, ReferenceNoise.multiple * (try XCTUnwrap(noise["max_abs_frame"] as? Double)))
        let probabilityTolerance = max(1e-6, ReferenceNoise.multiple * (try XCTUnwrap(noise["max_abs_probability"] as? Double)))
        let trace = try model.trace(image, regions: boxes, options: DetectOptions())
        let warp = model.warp, plane = 3 * warp.size * warp.size
        var frame = [Float](repeating: 0, count: plane)
        var outside = 0
        for (i, region) in regions.enumerated() {
            let what = "region \(i) \(boxes[i])"
            guard let expected = region["placement"] as? [String: Int] else {
                XCTAssertNil(trace.placements[i], "\(what): wholly outside the image for torchvision")
                XCTAssertEqual(trace.probabilities[(i * 1000)..<((i + 1) * 1000)].max(), 0, "\(what): scored")
                outside += 1
                continue
            }
            let p = try XCTUnwrap(trace.placements[i], "\(what): no placement")
            XCTAssertEqual([p.x0, p.x1, p.y0, p.y1, p.left, p.width, p.top, p.height],
                           ["x0", "x1", "y0", "y1", "left", "width", "top", "height"].map { expected[$0] }, "\(what): placement")
            frame.withUnsafeMutableBufferPointer {
                warp.warp(image, p, mean: model.classifier.preset.mean, std: model.classifier.preset.std, into: $0.baseAddress!)
            }
            let stats = try XCTUnwrap(region["frame"] as? [String: Any])
            let mean = frame.reduce(0.0) { $0 + Double($1) } / Double(plane)
            XCTAssertEqual(mean, try XCTUnwrap(stats["mean"] as? Double), accuracy: frameTolerance, "\(what): frame mean")
            for case let s as [Double] in try XCTUnwrap(stats["samples"] as? [Any]) {
                let (c, y, x) = (Int(s[0]), Int(s[1]), Int(s[2]))
                XCTAssertEqual(Double(frame[(c * warp.size + y) * warp.size + x]), s[3], accuracy: frameTolerance,
                               "\(what): frame at \(c),\(y),\(x)")
            }
            for case let top as [String: Any] in try XCTUnwrap(region["top5"] as? [Any]) {
                let c = try XCTUnwrap(top["class_id"] as? Int)
                XCTAssertEqual(Double(trace.probabilities[i * 1000 + c]), try XCTUnwrap(top["probability"] as? Double),
                               accuracy: probabilityTolerance, "\(what): probability of class \(c)")
            }
        }
        XCTAssertEqual(outside, 2, "the fixture's two boxes beyond the image")
        try checkDetections(ref, what: file) { try model.trace(image, regions: boxes, options: $0).output.detections }
    }

    /// Selective search on the image itself (every box of a 96x128 image), then the same scoring.
    func testSelectiveSearchEndToEnd() throws {
        let ref = try Self.fixture("small")
        let model = try model(ref, maxRegions: SlowRCNNConfig.regionLimit)
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/rcnn/small", withExtension: "png"))
        let image = try decodeImage(Array(try Data(contentsOf: url))).image
        let expected = try XCTUnwrap(ref["boxes"] as? [[Double]])
        let proposals = try model.proposals(image)
        XCTAssertEqual(Set(proposals.map { [Double($0.x1), Double($0.y1), Double($0.x2), Double($0.y2)] }), Set(expected),
                       "selective search's boxes differ from OpenCV's")
        try checkDetections(ref, what: "small.png") { try model.detect(image, options: $0).detections }
    }

    func checkDetections(_ ref: [String: Any], what: String, run: (DetectOptions) throws -> [Detection]) throws {
        for case let result as [String: Any] in try XCTUnwrap(ref["results"] as? [Any]) {
            let conf = try XCTUnwrap(result["conf"] as? Double)
            let options = DetectOptions(confidence: Float(conf), iou: try XCTUnwrap(result["iou"] as? Double),
                                        maxDetections: try XCTUnwrap(result["max_det"] as? Int))
            let mine = try run(options)
            let reference = try ReferenceItem.list(result["detections"], "\(what) conf \(conf)")
            XCTAssertFalse(reference.isEmpty)
            let noise = try ReferenceNoise(result["noise"], "\(what) conf \(conf)")
            ReferenceMatch.check(mine.map(ReferenceItem.init), against: reference, noise: noise, borderlineBound: 0.1,
                                 "\(what) conf \(conf)")
        }
    }
}

/// The warp's geometry on cases worked by hand.
final class RegionWarpTests: XCTestCase {
    func testContextPaddingGrowsTheBoxAboutItsCentre() throws {
        let warp = RegionWarp(size: 224, padding: 16)
        // A 192-pixel box grows by 224 / 192 to 224 pixels: 16 of context on each side, nothing clipped.
        let p = try XCTUnwrap(warp.placement(Box(x1: 100, y1: 100, x2: 292, y2: 292), imageWidth: 500, imageHeight: 500))
        XCTAssertEqual([p.x0, p.x1, p.y0, p.y1, p.left, p.width, p.top, p.height], [84, 308, 84, 308, 0, 224, 0, 224])
        // At the top-left corner the grown box starts 16 px before the image: that part of the frame stays empty.
        let q = try XCTUnwrap(warp.placement(Box(x1: 0, y1: 0, x2: 192, y2: 192), imageWidth: 500, imageHeight: 500))
        XCTAssertEqual([q.x0, q.x1, q.left, q.width], [0, 208, 16, 208])
        // Without padding the box is the frame.
        let r = try XCTUnwrap(RegionWarp(size: 224, padding: 0).placement(Box(x1: 10, y1: 20, x2: 30, y2: 60), imageWidth: 64, imageHeight: 64))
        XCTAssertEqual([r.x0, r.x1, r.y0, r.y1, r.left, r.width, r.top, r.height], [10, 30, 20, 60, 0, 224, 0, 224])
        XCTAssertNil(warp.placement(Box(x1: 70, y1: 0, x2: 90, y2: 10), imageWidth: 64, imageHeight: 64))
    }

    func testWarpOfAUniformWindowIsItsNormalisedColour() throws {
        let image = RGBImage(width: 8, height: 8, fill: (255, 0, 128))
        let warp = RegionWarp(size: 16, padding: 2)
        let p = try XCTUnwrap(warp.placement(Box(x1: 0, y1: 0, x2: 8, y2: 8), imageWidth: 8, imageHeight: 8))
        var frame = [Float](repeating: .nan, count: 3 * 16 * 16)
        frame.withUnsafeMutableBufferPointer { warp.warp(image, p, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], into: $0.baseAddress!) }
        // Inside: (v / 255 - 0.5) / 0.5; the 2-pixel border: 0.
        XCTAssertEqual(frame[0], 0)
        XCTAssertEqual(frame[8 * 16 + 8], 1, accuracy: 1e-6)
        XCTAssertEqual(frame[256 + 8 * 16 + 8], -1, accuracy: 1e-6)
        XCTAssertEqual(frame[512 + 8 * 16 + 8], Float(128.0 / 255 - 0.5) / 0.5, accuracy: 1e-6)
    }
}

/// What R-CNN refuses, and its deadline.
final class SlowRCNNLimitsTests: XCTestCase {
    func testImgszTooManyRegionsAndDeadline() throws {
        let ref = try SlowRCNNReferenceTests.fixture("small")
        let listing = try XCTUnwrap(ref["state_dict"] as? [String: Any])
        let classifier = try TorchvisionClassifier.load(RuleWeights.stateDict(listing, gain: (6, 6)), name: "alexnet")
        let model = try SlowRCNN.around(classifier, config: SlowRCNNConfig(classifier: ClassificationConfig(architecture: .alexnet), maxRegions: 3))
        let image = RGBImage(width: 40, height: 30, fill: (90, 120, 200))
        let box = Box(x1: 2, y1: 2, x2: 20, y2: 20)
        XCTAssertThrowsError(try model.detect(image, options: DetectOptions(imageSize: 300))) {
            XCTAssertTrue("\($0)".contains("imgsz does not apply to R-CNN"), "\($0)")
        }
        XCTAssertThrowsError(try model.detect(image, proposals: Array(repeating: box, count: 4), pooling: .align, options: DetectOptions())) {
            XCTAssertEqual($0 as? ModelError, .invalidOption("R-CNN scores at most 3 regions per image, got 4 proposals"))
        }
        XCTAssertThrowsError(try model.detect(image, proposals: [box], pooling: .align, options: DetectOptions(deadline: 1))) {
            guard case .deadlineExceeded? = $0 as? ModelError else { return XCTFail("\($0)") }
        }
        XCTAssertNoThrow(try model.detect(image, proposals: [box], pooling: .align, options: DetectOptions(deadline: .max)))
        XCTAssertThrowsError(try model.detect(RGBImage(width: 1100, height: 1000, fill: (0, 0, 0)), options: DetectOptions())) {
            XCTAssertTrue("\($0)".contains("at most 1048576 pixels"), "\($0)")
        }
        XCTAssertThrowsError(try SlowRCNN.around(classifier, config: SlowRCNNConfig(classifier: ClassificationConfig(architecture: .alexnet), padding: 112))) {
            XCTAssertTrue("\($0)".contains("padding must be in 0...111"), "\($0)")
        }
    }
}
