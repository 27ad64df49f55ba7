import ArgusMask
import ArgusTestSupport
import Foundation
import XCTest

/// Mask IoU, merge and box rasterisation against pycocotools (`tools/eval_fixtures/mask_ops.json`,
/// made by tools/gen_eval_fixtures.py), plus error handling of malformed input.
final class MaskOpsTests: XCTestCase {
    private func fixture() throws -> [String: Any] {
        let url = Repository.url("tools/eval_fixtures/mask_ops.json")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    func testIoUMergeAndBoxesMatchPycocotools() throws {
        let f = try fixture()
        let h = f["h"] as! Int, w = f["w"] as! Int
        let rles = try (f["counts"] as! [String]).map { try RLE(compressed: $0, height: h, width: w) }
        let crowd = (f["crowd"] as! [Int]).map { $0 != 0 }
        let iou = (f["iou"] as! [[String]]).map { $0.map { Double($0)! } }
        for d in rles.indices { for g in rles.indices {
            XCTAssertEqual(RLE.iou(dt: rles[d], gt: rles[g], crowd: crowd[g]), iou[d][g], "mask iou [\(d)][\(g)]")
        } }
        XCTAssertEqual(RLE.merge(Array(rles[0..<4])).compressedCounts, f["union_first4"] as! String)
        XCTAssertEqual(RLE.merge(Array(rles[1..<3]), intersect: true).compressedCounts, f["intersect_1_2"] as! String)
        let boxes = f["boxes"] as! [[Double]]
        let fr = f["frbbox"] as! [String]
        for (i, b) in boxes.enumerated() {
            let r = try RLE(box: BoxXYWH(x: b[0], y: b[1], width: b[2], height: b[3]), height: h, width: w)
            XCTAssertEqual(r.compressedCounts, fr[i], "frBbox \(b)")
        }
        let bb = (f["bb"] as! [[Double]]).map { BoxXYWH(x: $0[0], y: $0[1], width: $0[2], height: $0[3]) }
        let bbCrowd = (f["bb_crowd"] as! [Int]).map { $0 != 0 }
        let bbIoU = (f["bb_iou"] as! [[String]]).map { $0.map { Double($0)! } }
        for d in bb.indices { for g in bb.indices {
            XCTAssertEqual(boxIoU(bb[d], bb[g], crowd: bbCrowd[g]), bbIoU[d][g], "box iou [\(d)][\(g)]")
        } }
    }

    func testMalformedInputThrows() {
        XCTAssertThrowsError(try RLE(compressed: "0~", height: 1, width: 1))            // character outside '0'...'o'
        XCTAssertThrowsError(try RLE(compressed: "1", height: 2, width: 2))             // runs cover 1 of 4 pixels
        XCTAssertThrowsError(try RLE(compressed: "`", height: 2, width: 2))             // continuation bit, then the end
        XCTAssertThrowsError(try RLE(validatingHeight: 2, width: 2, counts: [1, -1, 4]))
        XCTAssertThrowsError(try RLE(polygon: [0, 0, .nan, 1, 2, 2], height: 4, width: 4))
        XCTAssertThrowsError(try RLE(polygons: [[1, 1, 3, 3]], height: 4, width: 4))    // pycocotools reads it as a box
        XCTAssertThrowsError(try RLE(polygon: [0, 0, 1, 1, 2, 0], height: 0, width: 4))
    }

    func testRoundTripAndDifferentSizes() throws {
        let a = RLE(rowMajor: [0, 1, 1, 0, 1, 1], height: 2, width: 3)
        XCTAssertEqual(try RLE(compressed: a.compressedCounts, height: 2, width: 3), a)
        XCTAssertEqual(a.area, 4)
        let b = RLE(rowMajor: [1, 1, 1, 1], height: 2, width: 2)
        XCTAssertEqual(RLE.iou(dt: a, gt: b, crowd: false), -1)                        // pycocotools' size mismatch
        XCTAssertEqual(RLE.merge([a, b]), RLE(height: 0, width: 0, counts: []))
    }
}
