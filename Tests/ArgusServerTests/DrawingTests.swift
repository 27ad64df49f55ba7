import ArgusImage
import XCTest

/// The drawing primitives behind `render=`, checked against hand-computed pixels.
final class DrawingTests: XCTestCase {
    func testFillAndBlend() {
        var image = RGBImage(width: 4, height: 3, fill: (0, 0, 200))
        image.fillRectangle(x1: 1, y1: 1, x2: 3, y2: 2, color: RGBColor(200, 0, 0), alpha: 0.5)
        XCTAssertTrue(image[1, 1] == (100, 0, 100))   // 0.5 * 200 + 0.5 * 0, 0.5 * 0 + 0.5 * 200
        XCTAssertTrue(image[2, 1] == (100, 0, 100))
        XCTAssertTrue(image[0, 1] == (0, 0, 200))
        XCTAssertTrue(image[1, 2] == (0, 0, 200))
        image.fillRectangle(x1: -5, y1: -5, x2: 100, y2: 1, color: .white)  // clipped, opaque
        XCTAssertTrue(image[3, 0] == (255, 255, 255))
        XCTAssertTrue(image[3, 1] == (0, 0, 200))
    }

    func testStrokeRectangleIsInclusiveAndHollow() {
        var image = RGBImage(width: 6, height: 6, fill: (0, 0, 0))
        image.strokeRectangle(x1: 1, y1: 1, x2: 4, y2: 4, color: .white, thickness: 1)
        var lit: [[Int]] = []
        for y in 0..<6 { lit.append((0..<6).map { image[$0, y].0 == 255 ? 1 : 0 }) }
        XCTAssertEqual(lit, [
            [0, 0, 0, 0, 0, 0],
            [0, 1, 1, 1, 1, 0],
            [0, 1, 0, 0, 1, 0],
            [0, 1, 0, 0, 1, 0],
            [0, 1, 1, 1, 1, 0],
            [0, 0, 0, 0, 0, 0],
        ])
    }

    func testTextUsesTheGlyphBitmapsAndScale() {
        var image = RGBImage(width: 12, height: 7, fill: (0, 0, 0))
        image.drawText("1a", x: 0, y: 0, color: .white)
        // "1" then (lower case drawn upper case) "A", one blank column between.
        let expected = [
            "..#....###..",
            ".##...#...#.",
            "..#...#...#.",
            "..#...#####.",
            "..#...#...#.",
            "..#...#...#.",
            ".###..#...#.",
        ]
        for (y, row) in expected.enumerated() {
            XCTAssertEqual(String((0..<12).map { image[$0, y].0 == 255 ? "#" : "." }), row, "row \(y)")
        }
        XCTAssertTrue(BitmapFont.size(of: "ab", scale: 2) == (22, 14))
        var big = RGBImage(width: 10, height: 14, fill: (0, 0, 0))
        big.drawText("I", x: 0, y: 0, color: .white, scale: 2)
        XCTAssertEqual(big[2, 0].0, 255); XCTAssertEqual(big[3, 1].0, 255); XCTAssertEqual(big[0, 0].0, 0)
    }

    func testMaskBlendOnlyWhereSet() {
        var image = RGBImage(width: 3, height: 2, fill: (10, 20, 30))
        image.blendMask([1, 0, 255, 0], maskWidth: 2, maskHeight: 2, x: 1, y: 0, color: RGBColor(110, 120, 130), alpha: 0.25)
        XCTAssertTrue(image[1, 0] == (35, 45, 55))   // 0.25 * 110 + 0.75 * 10 = 35
        XCTAssertTrue(image[2, 0] == (10, 20, 30))
        XCTAssertTrue(image[1, 1] == (35, 45, 55))
        XCTAssertTrue(image[0, 0] == (10, 20, 30))
    }
}
