import ArgusImage
import XCTest

/// Encoders: round trips through the decoder (itself checked against cv2) and header checks.
final class EncodeTests: XCTestCase {
    func testPNGRoundTripIsLossless() throws {
        let image = try RGBImage(width: 31, height: 9, pixels: lcgBytes(seed: 4, count: 31 * 9 * 3))
        let png = try encodePNG(image)
        XCTAssertEqual(ImageFormat.sniff(png), .png)
        XCTAssertEqual(try decodeImage(png).image, image)
        XCTAssertEqual(try decodeImage(try encodePNG(image, compressionLevel: 0)).image, image)
    }

    func testGrayAndPalettePNG() throws {
        let w = 5, h = 3
        let labels: [UInt8] = [0, 1, 2, 2, 1, 0, 0, 0, 1, 1, 2, 2, 2, 1, 0]
        let gray = try decodeImage(try encodePNG(gray: labels, width: w, height: h)).image
        XCTAssertEqual(gray.pixels, labels.flatMap { [$0, $0, $0] })
        let palette: [(UInt8, UInt8, UInt8)] = [(0, 0, 0), (255, 0, 0), (10, 200, 30)]
        let png = try encodePNG(gray: labels, width: w, height: h, palette: palette)
        XCTAssertEqual(png[25], 3, "IHDR color type should be 3 (palette)")
        let colored = try decodeImage(png).image
        XCTAssertEqual(colored.pixels, labels.flatMap { [palette[Int($0)].0, palette[Int($0)].1, palette[Int($0)].2] })
        XCTAssertThrowsError(try encodePNG(gray: labels, width: w, height: h, palette: Array(palette.prefix(2))))
        XCTAssertThrowsError(try encodePNG(gray: labels, width: 4, height: h))
        XCTAssertThrowsError(try encodePNG(gray: [], width: 0, height: 0))
        XCTAssertThrowsError(try encodePNG(gray: labels, width: w, height: h, palette: []))
    }

    func testJPEGRoundTripIsCloseAndQualityMatters() throws {
        // A smooth image: JPEG should reproduce it closely at high quality.
        var pixels: [UInt8] = []
        let w = 64, h = 48
        for y in 0 ..< h { for x in 0 ..< w { pixels += [UInt8(x * 4), UInt8(y * 5), UInt8((x + y) * 2)] } }
        let image = try RGBImage(width: w, height: h, pixels: pixels)
        func meanAbsError(_ quality: Int) throws -> (Double, Int) {
            let jpeg = try encodeJPEG(image, quality: quality)
            XCTAssertEqual(ImageFormat.sniff(jpeg), .jpeg)
            let decoded = try decodeImage(jpeg).image
            XCTAssertEqual(decoded.width, w); XCTAssertEqual(decoded.height, h)
            let total = zip(decoded.pixels, image.pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
            return (Double(total) / Double(pixels.count), jpeg.count)
        }
        let (high, highSize) = try meanAbsError(95)
        let (low, lowSize) = try meanAbsError(10)
        XCTAssertLessThan(high, 1.5)
        XCTAssertGreaterThan(low, high)
        XCTAssertLessThan(lowSize, highSize)
        XCTAssertThrowsError(try encodeJPEG(image, quality: 0))
        XCTAssertThrowsError(try encodeJPEG(image, quality: 101))
    }

    func testRGBImageValidatesPixelCount() {
        XCTAssertThrowsError(try RGBImage(width: 2, height: 2, pixels: [0, 0, 0]))
        XCTAssertThrowsError(try RGBImage(width: 0, height: 2, pixels: []))
    }
}
