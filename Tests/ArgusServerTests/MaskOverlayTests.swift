import ArgusImage
import XCTest

/// The overlay primitives behind render=png on /segment, against hand-computed pixels.
final class MaskOverlayTests: XCTestCase {
    let gray = RGBColor(100, 100, 100), light = RGBColor(200, 200, 200)

    func pixel(_ image: RGBImage, _ x: Int, _ y: Int) -> [UInt8] {
        let i = (y * image.width + x) * 3
        return Array(image.pixels[i..<(i + 3)])
    }

    func testColumnRunsTintTheirPixelsOnly() {
        var image = RGBImage(width: 4, height: 3, fill: (100, 100, 100))
        // Column-major: (0,0) unset, (0,1) and (0,2) set, then (1,0) set, the rest unset.
        image.blendColumnRuns([1, 3, 8], color: light, alpha: 0.5)
        for (x, y) in [(0, 1), (0, 2), (1, 0)] { XCTAssertEqual(pixel(image, x, y), [150, 150, 150], "(\(x), \(y))") }
        for (x, y) in [(0, 0), (1, 1), (3, 2)] { XCTAssertEqual(pixel(image, x, y), [100, 100, 100], "(\(x), \(y))") }
        // Runs longer than the image stop at its end.
        var all = RGBImage(width: 2, height: 2, fill: (0, 0, 0))
        all.blendColumnRuns([0, 1000], color: RGBColor(255, 0, 20), alpha: 0.45)
        XCTAssertEqual(pixel(all, 1, 1), [115, 0, 9])  // round(0.45 * 255) = round(114.75), 0.45 * 20
    }

    func testLabelsAndIdsUseTheirColoursAndSkipTheRest() {
        var image = RGBImage(width: 3, height: 1, fill: (100, 100, 100))
        image.blendLabels([0, 1, 7], palette: [.black, light], alpha: 0.5, skip: 0)
        XCTAssertEqual(image.pixels, [100, 100, 100, 150, 150, 150, 100, 100, 100], "background skipped, label 7 has no colour")
        var ids = RGBImage(width: 3, height: 1, fill: (100, 100, 100))
        ids.blendIds([0, 5, 9], colors: [9: RGBColor(0, 0, 0)], alpha: 0.5)
        XCTAssertEqual(ids.pixels, [100, 100, 100, 100, 100, 100, 50, 50, 50])
    }

    func testLegendSwatchesAndPanel() {
        var image = RGBImage(width: 80, height: 40, fill: (100, 100, 100))
        image.drawLegend([(name: "car", color: RGBColor(128, 128, 128)), (name: "person", color: RGBColor(192, 128, 128))], scale: 1)
        // Swatches are 7x7 at x 2..8, rows 2..8 and 12..18 (line height 10); the panel darkens around them by 60%.
        XCTAssertEqual(pixel(image, 4, 4), [128, 128, 128])
        XCTAssertEqual(pixel(image, 4, 14), [192, 128, 128])
        XCTAssertEqual(pixel(image, 0, 0), [40, 40, 40])
        XCTAssertEqual(pixel(image, 79, 39), [100, 100, 100])
    }
}
