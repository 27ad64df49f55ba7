import ArgusMask
import ArgusTestSupport
import XCTest

/// Checks polygon rasterisation and merge against pycocotools' `frPyObjects` in `../shared/eval/poly_cases.json`.
final class PolygonCaseTests: XCTestCase {
    func testAllPolygonCasesBitExact() throws {
        let root = try SharedData.json("eval/poly_cases.json")
        let cases = root["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 20)
        for c in cases {
            let name = c["name"] as! String
            let h = c["h"] as! Int, w = c["w"] as! Int
            let polys = (c["polygons"] as! [[Any]]).map { $0.doubles }
            let parts = c["parts_counts"] as! [String]
            for (i, p) in polys.enumerated() {
                XCTAssertEqual(try RLE(polygon: p, height: h, width: w).compressedCounts, parts[i], "\(name): part \(i)")
            }
            let union = try RLE(polygons: polys, height: h, width: w)
            XCTAssertEqual(union.compressedCounts, c["counts"] as! String, "\(name): union")
            XCTAssertEqual(union.area, c["area"] as! Int, "\(name): area")
            XCTAssertEqual(union.boundingBox.array, (c["bbox"] as! [Any]).doubles, "\(name): bbox")
        }
    }
}
