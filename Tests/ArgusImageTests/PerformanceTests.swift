import ArgusImage
import ArgusTestSupport
import Foundation
import XCTest

/// Timings of the request path (meaningful with `-c release`); each also checks its output.
final class PerformanceTests: XCTestCase {
    func testDecodeAndLetterbox640x480JPEG() throws {
        let source = try RGBImage(width: 640, height: 480, pixels: lcgBytes(seed: 11, count: 640 * 480 * 3))
        let jpeg = try encodeJPEG(source, quality: 90)
        var output: RGBImage?
        measure {
            let image = try! decodeImage(jpeg).image
            output = letterbox(image, newShape: (800, 800)).image  // decode + 1.25x upscale + pad
        }
        XCTAssertEqual(output?.width, 800)
        XCTAssertEqual(output?.height, 608)
    }

    func testDecodeOnly640x480NoiseJPEG() throws {
        let source = try RGBImage(width: 640, height: 480, pixels: lcgBytes(seed: 11, count: 640 * 480 * 3))
        let jpeg = try encodeJPEG(source, quality: 90)
        var output: RGBImage?
        measure { output = try! decodeImage(jpeg).image }
        XCTAssertEqual(output?.width, 640)
    }

    func testLetterboxOnly640x480To800() throws {
        let image = try RGBImage(width: 640, height: 480, pixels: lcgBytes(seed: 3, count: 640 * 480 * 3))
        var output: RGBImage?
        measure { output = letterbox(image, newShape: (800, 800)).image }
        XCTAssertEqual(output?.height, 608)
    }

    func testDecodeAndLetterboxSharedPhoto() throws {
        let shared = try SharedData.root(containing: "datasets")
        let url = shared.appendingPathComponent("datasets/coco128/images/train2017/000000000491.jpg")
        let jpeg = [UInt8](try Data(contentsOf: url))  // 500x313 -> 640x401 (+ pad to 416)
        var output: RGBImage?
        measure { output = letterbox(try! decodeImage(jpeg).image).image }
        XCTAssertEqual(output?.height, 416)
    }

    func testDownscale1280x960To640x479() throws {
        let image = try RGBImage(width: 1280, height: 960, pixels: lcgBytes(seed: 2, count: 1280 * 960 * 3))
        var output: RGBImage?
        measure { output = resizeBilinear(image, width: 640, height: 479) }
        XCTAssertEqual(output?.pixels.count, 640 * 479 * 3)
    }

    func testCHWFloat640x640() throws {
        let image = RGBImage(width: 640, height: 640, fill: (114, 114, 114))
        var output: [Float] = []
        measure { output = toCHWFloat(image) }
        XCTAssertEqual(output.count, 3 * 640 * 640)
        XCTAssertEqual(output[0], Float(114) / 255)
    }
}
