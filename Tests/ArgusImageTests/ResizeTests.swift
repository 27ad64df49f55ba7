import ArgusImage
import XCTest

/// resizeBilinear against cv2.resize(INTER_LINEAR) on generated images (hashes in the fixture).
final class ResizeTests: XCTestCase {
    struct Case: Decodable {
        let seed: Int, kind: String, w: Int, h: Int, W: Int, H: Int, sha256: String
    }

    func testMatchesOpenCVBitExactly() throws {
        let cases = try Fixtures.json("resize_cases.json", as: [Case].self)
        XCTAssertGreaterThan(cases.count, 300)
        var failures: [String] = []
        for c in cases {
            let image = try RGBImage(width: c.w, height: c.h,
                                     pixels: lcgBytes(seed: c.seed, count: c.w * c.h * 3, binary: c.kind == "binary"))
            let out = resizeBilinear(image, width: c.W, height: c.H)
            XCTAssertEqual(out.width, c.W); XCTAssertEqual(out.height, c.H)
            if SHA256.hex(out.pixels) != c.sha256 { failures.append("\(c.w)x\(c.h)->\(c.W)x\(c.H) (\(c.kind))") }
            // Output rows in uneven slices (as the engine's threads run them): the same bytes.
            if resizeBilinear(image, width: c.W, height: c.H, split: Self.unevenSlices) != out {
                failures.append("\(c.w)x\(c.h)->\(c.W)x\(c.H) (\(c.kind)) in slices")
            }
        }
        XCTAssertEqual(failures, [], "differs from cv2.resize for \(failures.count) of \(cases.count) cases")
    }

    /// Slices of 1, 2, 3, ... items, last first: any split must give the serial result.
    static func unevenSlices(_ count: Int, _ body: (Range<Int>) -> Void) {
        var bounds = [0], size = 1
        while bounds.last! < count { bounds.append(min(count, bounds.last! + size)); size += 1 }
        for i in (0..<(bounds.count - 1)).reversed() { body(bounds[i]..<bounds[i + 1]) }
    }

    func testCHWLayoutInSlicesAndBGROrder() throws {
        let image = try RGBImage(width: 23, height: 11, pixels: lcgBytes(seed: 5, count: 23 * 11 * 3, binary: false))
        let rgb = toCHWFloat(image, divisor: 255, mean: [0.5, 0.4, 0.3], std: [0.2, 0.3, 0.4])
        XCTAssertEqual(toCHWFloat(image, divisor: 255, mean: [0.5, 0.4, 0.3], std: [0.2, 0.3, 0.4], split: Self.unevenSlices), rgb)
        let plane = 23 * 11
        XCTAssertEqual(rgb[0], (Float(image.pixels[0]) / 255 - 0.5) / 0.2)
        let bgr = toCHWFloat(image, divisor: 1, bgr: true, split: Self.unevenSlices)
        let plain = toCHWFloat(image, divisor: 1)
        XCTAssertEqual(Array(bgr[0..<plane]), Array(plain[(2 * plane)...]))
        XCTAssertEqual(Array(bgr[plane..<(2 * plane)]), Array(plain[plane..<(2 * plane)]))
        XCTAssertEqual(Array(bgr[(2 * plane)...]), Array(plain[0..<plane]))
    }

    func testSameSizeIsACopyAndConstantImagesStayConstant() throws {
        let image = RGBImage(width: 17, height: 9, fill: (3, 200, 255))
        XCTAssertEqual(resizeBilinear(image, width: 17, height: 9), image)
        for (w, h) in [(1, 1), (40, 3), (5, 31), (34, 18)] {
            let out = resizeBilinear(image, width: w, height: h)
            XCTAssertEqual(out, RGBImage(width: w, height: h, fill: (3, 200, 255)), "\(w)x\(h)")
        }
    }
}
