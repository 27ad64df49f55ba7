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

    func testStrideTwoMaxPoolEqualsTorchsPerWindowLoop() throws {
        // Rows wider than a vector (the torch cases are narrower), NaN and -inf among the values: torch's loop,
        // `val > max || isnan(val)` over each window's taps in order, written out here.
        var random = SplitMix(seed: 21)
        for (h, w, k, p, d, ceil) in [(19, 37, 3, 1, 1, false), (12, 112, 3, 1, 1, false), (9, 50, 2, 0, 1, true),
                                      (11, 41, 3, 1, 2, true), (7, 33, 5, 2, 1, false)] {
            var values = (0..<(2 * h * w)).map { _ in random.next() }
            for i in stride(from: 5, to: values.count, by: 37) { values[i] = .nan }
            for i in stride(from: 11, to: values.count, by: 29) { values[i] = -.infinity }
            let x = Tensor(shape: [1, 2, h, w], storage: values)
            let y = try maxPool2d(x, kernel: (k, k), stride: (2, 2), padding: (p, p), dilation: (d, d), ceilMode: ceil)
            let (outH, outW) = (y.shape[2], y.shape[3])
            for c in 0..<2 {
                for oh in 0..<outH {
                    for ow in 0..<outW {
                        var best = -Float.infinity
                        for i in 0..<k {
                            for j in 0..<k {
                                let ih = oh * 2 - p + i * d, iw = ow * 2 - p + j * d
                                guard ih >= 0, ih < h, iw >= 0, iw < w else { continue }
                                let v = values[(c * h + ih) * w + iw]
                                if v > best || v.isNaN { best = v }
                            }
                        }
                        let got = y.storage[(c * outH + oh) * outW + ow]
                        XCTAssertTrue(got == best || (got.isNaN && best.isNaN),
                                      "\(h)x\(w) k\(k) p\(p) d\(d) ceil \(ceil) [\(c),\(oh),\(ow)]: \(got) vs \(best)")
                    }
                }
            }
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
