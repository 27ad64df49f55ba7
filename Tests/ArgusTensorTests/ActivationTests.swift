import ArgusTensor
import Foundation
import XCTest

final class ActivationTests: XCTestCase {
    func testActivationsMatchTorch() {
        for c in Fixtures.cases(op: "activation") {
            let x = c.tensor("input"), expected = c.tensor("output")
            let y: Tensor
            switch c.string("activation") {
            case "relu": y = relu(x)
            case "relu6": y = relu6(x)
            case "silu": y = silu(x)
            case "sigmoid": y = sigmoid(x)
            case "hardswish": y = hardswish(x)
            case "hardsigmoid": y = hardsigmoid(x)
            case "leaky_relu": y = leakyReLU(x, slope: Float(c.double("slope")))
            default: XCTFail("unknown activation in \(c.name)"); continue
            }
            // exp-based ones differ from torch's Sleef exp by an ulp or two; piecewise-linear ones are exact.
            let smooth = ["silu", "sigmoid"].contains(c.string("activation")!)
            assertClose(y, expected, rtol: smooth ? 2e-6 : 0, atol: smooth ? 1e-30 : 0, c.name)
        }
    }

    /// SiLU against x / (1 + e^-x) in Double over its whole working range, every 1021st float of [-88, 88] (the
    /// exponential's table, cubic and clamps): within 4 ulp of the result, as measured over every fifth float
    /// when the table form replaced the degree-5 polynomial (3.5 ulp at most there).
    func testSiLUIsWithinFourULPOfTheDoublePrecisionFormula() {
        var values: [Float] = []
        var bits = Float(-88).bitPattern
        while Float(bitPattern: bits) < 0 { values.append(Float(bitPattern: bits)); bits = bits &- 1021 }
        bits = 0
        while Float(bitPattern: bits) <= 88 { values.append(Float(bitPattern: bits)); bits &+= 1021 }
        let y = silu(Tensor(shape: [values.count], storage: values)).storage
        var worst = 0.0
        for (x, got) in zip(values, y) {
            let want = Double(x) / (1 + exp(-Double(x)))
            guard want.magnitude >= Double(Float.leastNormalMagnitude) else { continue }
            let ulp = Double(Float(want).ulp)
            worst = max(worst, abs(Double(got) - want) / ulp)
        }
        XCTAssertLessThanOrEqual(worst, 4, "worst SiLU error in ulp over \(values.count) values")
    }

    func testInPlaceEqualsCopyingAndEmptyIsFine() {
        var gen = SplitMix(seed: 3)
        var x = gen.tensor([3, 37])
        let y = activate(x, .hardswish)
        x.apply(.hardswish)
        XCTAssertEqual(x, y)
        var empty = Tensor(zeros: [0, 4])
        empty.apply(.silu)
        XCTAssertEqual(empty.count, 0)
    }

    func testSiLUExtremes() {
        // torch: silu([inf, -inf, nan, 1000, -1000, -89]) = [inf, nan, nan, 1000, -0, -0]
        let x = Tensor(shape: [6], storage: [.infinity, -.infinity, .nan, 1000, -1000, -89])
        let y = silu(x).storage
        XCTAssertEqual(y[0], .infinity)
        XCTAssertTrue(y[1].isNaN)
        XCTAssertTrue(y[2].isNaN)
        XCTAssertEqual(y[3], 1000)
        XCTAssertEqual(y[4].bitPattern, (-Float.zero).bitPattern)
        XCTAssertEqual(y[5].bitPattern, (-Float.zero).bitPattern)
        // torch: sigmoid(-88.5) = 3.6723016e-39 (a denormal), sigmoid(-100) = 0
        let s = sigmoid(Tensor(shape: [2], storage: [-88.5, -100])).storage
        XCTAssertEqual(s[0], 3.672301610145117e-39, accuracy: 1e-44)
        XCTAssertEqual(s[1], 0)
    }
}
