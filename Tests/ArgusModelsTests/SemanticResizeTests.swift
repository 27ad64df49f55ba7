import ArgusImage
import ArgusMask
@testable import ArgusModels
import ArgusTensor
import ArgusTestSupport
import Foundation
import XCTest

/// The `imageSize` path against tools/gen_semantic_resize_fixtures.py: torchvision's preset resize (antialiased
/// bilinear on the 8-bit image) and the tiny LRASPP run on the resized image, upsampled back to the image size.
final class SemanticResizeTests: XCTestCase {
    func testResizedSizeIsTorchvisionShortSideRule() {
        XCTAssertTrue(SemanticResize.resizedSize(height: 426, width: 640, shortSide: 520) == (520, 781))
        XCTAssertTrue(SemanticResize.resizedSize(height: 640, width: 481, shortSide: 200) == (266, 200))
        XCTAssertTrue(SemanticResize.resizedSize(height: 10, width: 10, shortSide: 3) == (3, 3))
    }

    func testAntialiasedBilinearMatchesTorchvision() throws {
        let ref = try SemanticFixtures.fixture("semantic_resize")
        for case let entry as [String: Any] in try XCTUnwrap(ref["resizes"] as? [Any]) {
            let file = try XCTUnwrap(entry["file"] as? String), short = try XCTUnwrap(entry["short"] as? Int)
            let image = try decodeImage(try SharedData.bytes("datasets/coco128/images/train2017/\(file)")).image
            let size = SemanticResize.resizedSize(height: image.height, width: image.width, shortSide: short)
            XCTAssertEqual([size.0, size.1], entry["size"] as? [Int], "\(file) -> \(short): size")
            let resized = try SemanticResize.antialiasedBilinear(image, to: size)
            let sum = resized.pixels.reduce(0) { $0 + Int($1) }
            // At most one byte rounds the other way (000000000036.jpg at 160: torch gets 200.50002, we 200.5).
            XCTAssertEqual(Double(sum), Double(try XCTUnwrap(entry["sum"] as? Int)), accuracy: 1, "\(file) -> \(short): sum of all bytes")
            for case let s as [Int] in try XCTUnwrap(entry["samples"] as? [Any]) {
                XCTAssertEqual(Int(resized.pixels[(s[1] * resized.width + s[2]) * 3 + s[0]]), s[3],
                               "\(file) -> \(short): pixel c \(s[0]) y \(s[1]) x \(s[2])")
            }
        }
    }

    func testAntialiasedBilinearGivesTheSameBytesHoweverTheRowsAreCut() throws {
        // Both passes go row by row over `split`: slices of any size, in any order, must not change a byte.
        var pixels = [UInt8](repeating: 0, count: 61 * 97 * 3)
        for i in pixels.indices { pixels[i] = UInt8((i * 37 + (i / 291) * 11) % 256) }
        let image = try RGBImage(width: 97, height: 61, pixels: pixels)
        let unevenReversed: RangeSplitter = { count, body in
            let cuts = Array(Set([0, 1, count / 3, count / 2 + 1, count].filter { $0 <= count })).sorted()
            for (lo, hi) in zip(cuts, cuts.dropFirst()).reversed() { body(lo..<hi) }
        }
        for size in [(40, 63), (130, 207), (61, 20)] {
            let serial = try SemanticResize.antialiasedBilinear(image, to: size, split: serialSplit)
            let cut = try SemanticResize.antialiasedBilinear(image, to: size, split: unevenReversed)
            let engine = try SemanticResize.antialiasedBilinear(image, to: size)
            XCTAssertEqual(cut.pixels, serial.pixels, "\(size)")
            XCTAssertEqual(engine.pixels, serial.pixels, "\(size)")
        }
    }

    func testAWindowIsThatPartOfTheFullResize() throws {
        // The classification preset resizes only the center crop's window: its bytes must be the full resize's.
        var generator = SplitMix64(seed: 19)
        for _ in 0..<40 {
            let w = Int.random(in: 1...120, using: &generator), h = Int.random(in: 1...120, using: &generator)
            let image = try RGBImage(width: w, height: h, pixels: (0..<(w * h * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let size = (Int.random(in: 1...160, using: &generator), Int.random(in: 1...160, using: &generator))
            let full = try SemanticResize.antialiasedBilinear(image, to: size, split: serialSplit)
            let r0 = Int.random(in: 0..<size.0, using: &generator), r1 = Int.random(in: (r0 + 1)...size.0, using: &generator)
            let c0 = Int.random(in: 0..<size.1, using: &generator), c1 = Int.random(in: (c0 + 1)...size.1, using: &generator)
            let part = try SemanticResize.antialiasedBilinear(image, to: size, rows: r0..<r1, columns: c0..<c1)
            var expected: [UInt8] = []
            for y in r0..<r1 { expected += full.pixels[((y * size.1 + c0) * 3)..<((y * size.1 + c1) * 3)] }
            XCTAssertEqual([part.height, part.width], [r1 - r0, c1 - c0])
            XCTAssertEqual(part.pixels, expected, "\(w)x\(h) -> \(size), rows \(r0)..<\(r1), columns \(c0)..<\(c1)")
        }
    }

    func testTinyLRASPPWithImageSize() throws {
        let ref = try SemanticFixtures.fixture("semantic_resize")
        let weights = try SemanticFixtures.weights(try SemanticFixtures.fixture("lraspp_mnv3_tiny"))
        let model = try TorchvisionSegmenter.load(weights, architecture: .lrasppMobileNetV3Large, name: "lraspp_mnv3_tiny")
        for case let entry as [String: Any] in try XCTUnwrap(ref["lraspp"] as? [Any]) {
            let file = try XCTUnwrap(entry["file"] as? String), short = try XCTUnwrap(entry["short"] as? Int)
            let image = try decodeImage(try SharedData.bytes("datasets/coco128/images/train2017/\(file)")).image
            let trace = try model.trace(image, options: SegmentOptions(imageSize: short, includeScores: true))
            try SemanticFixtures.checkStats(trace.input, entry["input"] as? [String: Any], tolerance: 1e-5, "\(file) input")
            // 10x the reference's own float32 noise on the logits (largest |float32 - float64| / std), at least 1e-3.
            let out = entry["out"] as? [String: Any]
            let noise = try XCTUnwrap((entry["noise"] as? [String: Any])?["out"] as? [String: Any], "\(file): no noise record")
            let relative = max(1e-3, ReferenceNoise.multiple * (try XCTUnwrap(noise["max_rel_std"] as? Double)))
            try SemanticFixtures.checkStats(trace.out, out, tolerance: relative * ((out?["std"] as? Double) ?? 1), "\(file) out")
            let labels = trace.output.labels
            XCTAssertEqual([labels.height, labels.width], [image.height, image.width])
            try SemanticReferenceTests.checkLabels(labels, entry, "\(file) at imageSize \(short)")
            // Softmax probabilities at the image's size: a probability moves at most 1/2 as much as the logits
            // it comes from (softmax's Jacobian), so 10x half the logit noise, at least 1e-4.
            let probabilityTolerance = max(1e-4, ReferenceNoise.multiple * 0.5 * (try XCTUnwrap(noise["max_abs"] as? Double)))
            let scores = try XCTUnwrap(trace.output.scores)
            XCTAssertEqual(scores.shape, [21, image.height, image.width])
            let r = try XCTUnwrap(entry["scores"] as? [String: Any])
            let n = Double(scores.count)
            let mean = scores.storage.reduce(0.0) { $0 + Double($1) } / n
            XCTAssertEqual(mean, try XCTUnwrap(r["mean"] as? Double), accuracy: 1e-6)
            for case let s as [Double] in try XCTUnwrap(r["samples"] as? [Any]) {
                let (c, y, x) = (Int(s[0]), Int(s[1]), Int(s[2]))
                XCTAssertEqual(Double(scores.storage[(c * image.height + y) * image.width + x]), s[3], accuracy: probabilityTolerance,
                               "\(file): probability at \(c),\(y),\(x)")
            }
        }
    }

    /// segment's fused upsample + arg-max gives trace's labels, with and without a resize.
    func testSegmentEqualsTrace() throws {
        let weights = try SemanticFixtures.weights(try SemanticFixtures.fixture("deeplabv3_mnv3_tiny"))
        let image = try decodeImage(try SharedData.bytes("datasets/coco128/images/train2017/000000000036.jpg")).image
        for arch in [SemanticArchitecture.deeplabv3MobileNetV3Large, .lrasppMobileNetV3Large] {
            let model = try TorchvisionSegmenter.load(weights, architecture: arch, name: "tiny")
            for size in [nil, 150] as [Int?] {
                let options = SegmentOptions(imageSize: size)
                let fused = try model.segment(image, options: options)
                XCTAssertNil(fused.scores)
                XCTAssertEqual(fused.labels, try model.trace(image, options: options).output.labels, "\(arch) imageSize \(size ?? 0)")
            }
        }
    }

    func testBadImageSizeIsATypedError() throws {
        let weights = try SemanticFixtures.weights(try SemanticFixtures.fixture("lraspp_mnv3_tiny"))
        let model = try TorchvisionSegmenter.load(weights, architecture: .lrasppMobileNetV3Large, name: "tiny")
        let image = try RGBImage(width: 5, height: 3, pixels: [UInt8](repeating: 100, count: 45))
        XCTAssertThrowsError(try model.segment(image, options: SegmentOptions(imageSize: 0)))
        // Tiny images still run (every feature map is at least 1x1) and keep their size, ASPP included.
        let deeplab = try TorchvisionSegmenter.load(weights, architecture: .deeplabv3MobileNetV3Large, name: "tiny")
        for m in [model, deeplab] {
            let out = try m.segment(image, options: SegmentOptions())
            XCTAssertEqual([out.labels.width, out.labels.height], [5, 3])
            let dot = try m.segment(try RGBImage(width: 1, height: 1, pixels: [0, 128, 255]), options: SegmentOptions(imageSize: 2))
            XCTAssertEqual([dot.labels.width, dot.labels.height], [1, 1])
        }
    }
}

