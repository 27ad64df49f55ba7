import ArgusMask
import ArgusTestSupport
import XCTest

/// Checks encode/decode/string/area/toBbox against pycocotools' outputs in `../shared/eval/rle_cases.json`.
final class RLECaseTests: XCTestCase {
    func testAllRLECasesBitExact() throws {
        let root = try SharedData.json("eval/rle_cases.json")
        let cases = root["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 29)
        for c in cases {
            let name = c["name"] as! String
            let h = c["h"] as! Int, w = c["w"] as! Int
            let rows = c["rows"] as! [String]
            var rowMajor = [UInt8]()
            for r in rows { rowMajor += r.utf8.map { $0 == UInt8(ascii: "1") ? 1 : 0 } }
            XCTAssertEqual(rowMajor.count, h * w, name)
            let rle = RLE(rowMajor: rowMajor, height: h, width: w)
            let expectedRuns = (c["uncompressed_counts"] as! [Int]).map { UInt32($0) }
            XCTAssertEqual(rle.counts, expectedRuns, "\(name): runs")
            XCTAssertEqual(rle.compressedCounts, c["counts"] as! String, "\(name): counts string")
            XCTAssertEqual(rle.area, c["area"] as! Int, "\(name): area")
            XCTAssertEqual(rle.boundingBox.array, (c["bbox"] as! [Any]).doubles, "\(name): bbox")
            let parsed = try RLE(compressed: c["counts"] as! String, height: h, width: w)
            XCTAssertEqual(parsed.counts, expectedRuns, "\(name): parsed string")
            XCTAssertEqual(parsed.decodeRowMajor(), rowMajor, "\(name): decode")
        }
    }
}
