import ArgusDetection
import XCTest

/// BoxCoder against torchvision's BoxCoder.decode_single / encode_single. Every op but exp (decode) and
/// log (encode) is IEEE-exact and done in torch's order, so where torch's exp/log returned the correctly
/// rounded value (`exp_exact` / `log_exact`, most boxes) the result must be torch's bits. Elsewhere torch's
/// vectorized exp/log is an ulp off, and the tolerance is the case's |float32 - float64| noise.
final class BoxCoderTests: XCTestCase {
    func testDecodeMatchesTorchvision() throws {
        let fixture = try DetectionOpsFixture.load()
        var exact = 0
        for c in fixture.decode {
            let coder = BoxCoder(weights: floats(c.weights))
            let (refs, want) = (boxes(c.references), boxes(c.expected))
            for i in refs.indices {
                let got = coder.decode(floats(c.deltas[i]), reference: refs[i])
                check(corners(got), corners(want[i]), bitExact: c.exp_exact[i], noise: c.noise,
                      "\(c.name) box \(i) (deltas \(c.deltas[i]))")
                if c.exp_exact[i] { exact += 1 }
            }
            // The fixture's deltas reach past the log(1000/16) clamp: a decoder without it would differ.
            XCTAssert(c.deltas.contains { $0[2] / c.weights[2] > 5 }, c.name)
        }
        XCTAssertGreaterThan(exact, 50)
    }

    func testEncodeMatchesTorchvision() throws {
        let fixture = try DetectionOpsFixture.load()
        var exact = 0
        for c in fixture.encode {
            let coder = BoxCoder(weights: floats(c.weights))
            let (b, refs) = (boxes(c.boxes), boxes(c.references))
            for i in refs.indices {
                let got = coder.encode(b[i], reference: refs[i])
                check(got, floats(c.expected[i]), bitExact: c.log_exact[i], noise: c.noise, "\(c.name) box \(i)")
                if c.log_exact[i] { exact += 1 }
            }
        }
        XCTAssertGreaterThan(exact, 50)
    }

    private func check(_ got: [Float], _ want: [Float], bitExact: Bool, noise: Double, _ label: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        for k in 0..<4 {
            if bitExact {
                XCTAssert(sameBits(got[k], want[k]),
                          "\(label)[\(k)]: \(got[k]) vs torch \(want[k]) (torch's exp/log was correctly rounded"
                          + " here: another operation order, or a host expf/logf that is not)", file: file, line: line)
            } else {
                XCTAssertLessThanOrEqual(abs(Double(got[k]) - Double(want[k])), noise,
                                         "\(label)[\(k)]: \(got[k]) vs torch \(want[k])", file: file, line: line)
            }
        }
    }
}
