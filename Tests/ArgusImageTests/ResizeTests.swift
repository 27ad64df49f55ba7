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
        }
        XCTAssertEqual(failures, [], "differs from cv2.resize for \(failures.count) of \(cases.count) cases")
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
