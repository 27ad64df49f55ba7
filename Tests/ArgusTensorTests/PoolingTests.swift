import ArgusTensor
import XCTest

final class PoolingTests: XCTestCase {
    func testMaxPoolMatchesTorchExactly() throws {
        for c in Fixtures.cases(op: "maxPool2d") {
            let y = try maxPool2d(c.tensor("input"), kernel: c.int("kernel"), stride: c.int("stride"),
                                  padding: c.int("padding"), dilation: c.int("dilation"), ceilMode: c.bool("ceil_mode"))
            assertClose(y, c.tensor("output"), c.name)
        }
    }

    func testAvgPoolMatchesTorch() throws {
        for c in Fixtures.cases(op: "avgPool2d") {
            let div = c.int("divisor_override")
            let y = try avgPool2d(c.tensor("input"), kernel: c.int("kernel"), stride: c.int("stride"),
                                  padding: c.int("padding"), ceilMode: c.bool("ceil_mode"),
                                  countIncludePad: c.bool("count_include_pad"), divisorOverride: div == 0 ? nil : div)
            assertClose(y, c.tensor("output"), rtol: 1e-6, atol: 1e-7, c.name)
        }
    }

    func testAdaptiveAvgPoolMatchesTorch() throws {
        for c in Fixtures.cases(op: "adaptiveAvgPool2d") {
            let size = c.ints("output_size")
            let y = try adaptiveAvgPool2d(c.tensor("input"), outputSize: (size[0], size[1]))
            assertClose(y, c.tensor("output"), rtol: 1e-6, atol: 1e-7, c.name)
        }
    }

    func testInvalidPoolingThrows() {
        let x = Tensor(zeros: [1, 1, 4, 4])
        XCTAssertThrowsError(try maxPool2d(x, kernel: 3, padding: 2))   // padding > kernel / 2
        XCTAssertThrowsError(try maxPool2d(x, kernel: 5))               // window larger than input
        XCTAssertThrowsError(try maxPool2d(x, kernel: 0))
        XCTAssertThrowsError(try avgPool2d(x, kernel: 2, divisorOverride: 0))
        XCTAssertThrowsError(try adaptiveAvgPool2d(x, outputSize: (0, 1)))
        XCTAssertThrowsError(try maxPool2d(Tensor(zeros: [1, 4, 4]), kernel: 2))
    }
}
