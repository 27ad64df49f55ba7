import ArgusTensor
import XCTest

final class InterpolateTests: XCTestCase {
    func testNearestMatchesTorchExactly() throws {
        for c in Fixtures.cases(op: "interpolateNearest") {
            let y: Tensor
            if c.has("scale_factor") {
                y = try interpolateNearest(c.tensor("input"), scaleFactor: c.double("scale_factor"))
            } else {
                let s = c.ints("size")
                y = try interpolateNearest(c.tensor("input"), size: (s[0], s[1]))
            }
            assertClose(y, c.tensor("output"), c.name)
        }
    }

    func testBilinearMatchesTorch() throws {
        for c in Fixtures.cases(op: "interpolateBilinear") {
            let y: Tensor
            if c.has("scale_factor") {
                y = try interpolateBilinear(c.tensor("input"), scaleFactor: c.double("scale_factor"),
                                            alignCorners: c.bool("align_corners"))
            } else {
                let s = c.ints("size")
                y = try interpolateBilinear(c.tensor("input"), size: (s[0], s[1]), alignCorners: c.bool("align_corners"))
            }
            // Outputs with H + W > 128 go through torch's generic kernel, which we match bit for bit;
            // smaller ones through its channels-last kernel, which rounds differently (a few ulp).
            let exact = c.has("exact")
            assertClose(y, c.tensor("output"), rtol: exact ? 0 : 1e-6, atol: exact ? 0 : 1e-6, c.name)
        }
    }

    func testInvalidSizesThrow() {
        let x = Tensor(zeros: [1, 1, 2, 2])
        XCTAssertThrowsError(try interpolateNearest(x, size: (0, 3)))
        XCTAssertThrowsError(try interpolateNearest(x, scaleFactor: 0))
        XCTAssertThrowsError(try interpolateBilinear(x, size: (2, -1), alignCorners: false))
        XCTAssertThrowsError(try interpolateBilinear(x, scaleFactor: .nan, alignCorners: true))
    }
}
