import ArgusMask
import XCTest

/// Polygons reaching far outside their image (up to 2e6 pixels away) against pycocotools' `frPyObjects`
/// (`tools/gen_polygon_fixtures.py`): pycocotools walks every upsampled boundary point, Argus only the steps
/// that can cross a pixel column inside the image, and both must give the same RLE.
final class FarPolygonTests: XCTestCase {
    func testFarPolygonsMatchPycocotools() throws {
        let cases = try XCTUnwrap(try MaskFixturePaths.fixture("far_polygon_cases.json")["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 61)
        var nonEmpty = 0
        for c in cases {
            let name = c["name"] as! String, h = c["h"] as! Int, w = c["w"] as! Int
            let polygon = (c["polygon"] as! [Any]).doubles
            let rle = try RLE(polygon: polygon, height: h, width: w)
            XCTAssertEqual(rle.compressedCounts, c["counts"] as! String, name)
            if rle.area > 0 { nonEmpty += 1 }
        }
        XCTAssertGreaterThan(nonEmpty, 50, "most cases cover some pixels")
    }

    /// The same polygon shifted by whole pixels out of a wide image and back into a narrow one: a check that does
    /// not depend on the fixture. A far vertex 10^8 pixels away is within the coordinate limit and is answered.
    func testCoordinateLimitAndTranslation() throws {
        let base: [Double] = [2.3, 1.7, 9.6, 2.2, 8.1, 7.9, 3.4, 6.6]
        let shifted = base.enumerated().map { $0.offset % 2 == 0 ? $0.element + 40 : $0.element }
        let narrow = try RLE(polygon: base, height: 10, width: 12)
        let wide = try RLE(polygon: shifted, height: 10, width: 60)
        XCTAssertEqual(wide.area, narrow.area)
        XCTAssertEqual(wide.boundingBox.array, [narrow.boundingBox.array[0] + 40] + narrow.boundingBox.array.dropFirst())
        let far = try RLE(polygon: [2, 2, 1e8, 3, 2, 8], height: 10, width: 12)
        XCTAssertEqual(far.boundingBox.array[2], 12 - 2, "the sliver runs to the image's right edge")
        let deep = try RLE(polygon: [2, 2, 5, 1e8, 8, 2], height: 10, width: 12)
        XCTAssertEqual(Array(deep.boundingBox.array[1...]), [2, 6, 8], "the sliver runs to the image's bottom edge")
        XCTAssertThrowsError(try RLE(polygon: [2, 2, 1.0000001e8, 3, 2, 8], height: 10, width: 12))
    }
}
