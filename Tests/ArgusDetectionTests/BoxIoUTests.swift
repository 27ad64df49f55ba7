import ArgusDetection
import XCTest

/// `iou` against torchvision.ops.box_iou. Both compute areas, intersection, union and the quotient with
/// the same IEEE operations in the same order, so the values are compared bit for bit (the fixture's
/// float64 noise is printed for scale only).
final class BoxIoUTests: XCTestCase {
    func testIoUMatrixMatchesTorchvisionBitForBit() throws {
        let fixture = try DetectionOpsFixture.load()
        var compared = 0, degenerate = 0
        for c in fixture.box_iou {
            let (a, b) = (boxes(c.boxes1), boxes(c.boxes2))
            let expected = floats(c.iou)
            XCTAssertEqual(expected.count, a.count * b.count, c.name)
            for i in a.indices {
                for j in b.indices {
                    let want = expected[i * b.count + j], got = iou(a[i], b[j])
                    if want.isNaN {
                        // Known difference: torch divides 0 by an empty union (NaN); Argus returns 0.
                        XCTAssertEqual(a[i].area + b[j].area, 0, "\(c.name)[\(i), \(j)]: NaN only for two empty boxes")
                        XCTAssertEqual(got, 0, "\(c.name)[\(i), \(j)]")
                        degenerate += 1
                    } else {
                        XCTAssert(sameBits(got, want), "\(c.name)[\(i), \(j)]: \(got) vs torch \(want)"
                                  + " (float64 noise of the case \(c.noise))")
                        compared += 1
                    }
                }
            }
        }
        XCTAssertGreaterThan(compared, 200)
        XCTAssertGreaterThan(degenerate, 0, "the fixture covers the empty-union case")
    }
}
