import ArgusImage
import XCTest

/// letterbox against YOLOv5's letterbox (cv2 resize + copyMakeBorder) from the fixture.
final class LetterboxTests: XCTestCase {
    struct Case: Decodable {
        let seed: Int, w: Int, h: Int, new_h: Int, new_w: Int
        let auto: Bool, scale_fill: Bool, scale_up: Bool, stride: Int, color: [UInt8]
        let out_w: Int, out_h: Int, sha256: String
        let ratio: [Double], resized: [Int], pad: [Double], tblr: [Int]
    }

    func testMatchesYOLOv5() throws {
        let cases = try Fixtures.json("letterbox_cases.json", as: [Case].self)
        XCTAssertGreaterThan(cases.count, 40)
        for c in cases {
            let label = "\(c.w)x\(c.h) -> \(c.new_w)x\(c.new_h) auto=\(c.auto) fill=\(c.scale_fill) up=\(c.scale_up) stride=\(c.stride)"
            let image = try RGBImage(width: c.w, height: c.h, pixels: lcgBytes(seed: c.seed, count: c.w * c.h * 3))
            let result = letterbox(image, newShape: (c.new_h, c.new_w), color: (c.color[0], c.color[1], c.color[2]),
                                   auto: c.auto, scaleFill: c.scale_fill, scaleUp: c.scale_up, stride: c.stride)
            let g = result.geometry
            XCTAssertEqual(result.image.width, c.out_w, label)
            XCTAssertEqual(result.image.height, c.out_h, label)
            XCTAssertEqual(SHA256.hex(result.image.pixels), c.sha256, label)
            XCTAssertEqual([g.ratioX, g.ratioY], c.ratio, label)
            XCTAssertEqual([g.resizedWidth, g.resizedHeight], c.resized, label)
            XCTAssertEqual([g.padX, g.padY], c.pad, label)
            XCTAssertEqual([g.top, g.bottom, g.left, g.right], c.tblr, label)
        }
    }

    func testPadPlacesImageAndColor() throws {
        let image = RGBImage(width: 2, height: 1, fill: (1, 2, 3))
        let out = pad(image, top: 1, bottom: 0, left: 1, right: 2, color: (9, 8, 7))
        XCTAssertEqual(out.width, 5); XCTAssertEqual(out.height, 2)
        XCTAssertTrue(out[0, 0] == (9, 8, 7) && out[4, 1] == (9, 8, 7) && out[0, 1] == (9, 8, 7))
        XCTAssertTrue(out[1, 1] == (1, 2, 3) && out[2, 1] == (1, 2, 3))
    }
}

/// toCHWFloat against numpy float32 `x / 255` and torchvision-style normalization.
final class CHWFloatTests: XCTestCase {
    struct Case: Decodable {
        let seed: Int, w: Int, h: Int, plain_sha256: String, normalized_sha256: String
        let mean: [Float], std: [Float]
    }

    func testMatchesNumpyFloat32() throws {
        for c in try Fixtures.json("chw_cases.json", as: [Case].self) {
            let image = try RGBImage(width: c.w, height: c.h, pixels: lcgBytes(seed: c.seed, count: c.w * c.h * 3))
            XCTAssertEqual(SHA256.hex(toCHWFloat(image)), c.plain_sha256)
            XCTAssertEqual(SHA256.hex(toCHWFloat(image, mean: c.mean, std: c.std)), c.normalized_sha256)
        }
    }

    /// Every byte value in every channel, in the eight-pixel vector steps and in the tail (259 pixels), equals the
    /// formula evaluated per value in Float32.
    func testEveryByteValueInVectorStepsAndTail() throws {
        let count = 259
        var pixels: [UInt8] = []
        for i in 0..<count {
            pixels += [UInt8(i % 256), UInt8((i * 7 + 3) % 256), UInt8(255 - i % 256)]
        }
        let image = try RGBImage(width: count, height: 1, pixels: pixels)
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        for bgr in [false, true] {
            let y = toCHWFloat(image, mean: mean, std: std, bgr: bgr)
            for i in 0..<count {
                for c in 0..<3 {
                    let want = (Float(pixels[3 * i + c]) / 255 - mean[c]) / std[c]
                    let plane = bgr ? 2 - c : c
                    XCTAssertEqual(y[plane * count + i].bitPattern, want.bitPattern, "pixel \(i) channel \(c) bgr \(bgr)")
                }
            }
        }
    }

    func testLayoutIsPlanarRGB() throws {
        let image = try RGBImage(width: 2, height: 1, pixels: [255, 0, 51, 0, 255, 102])
        XCTAssertEqual(toCHWFloat(image), [1, 0, 0, 1, 0.2, 0.4])
    }
}
