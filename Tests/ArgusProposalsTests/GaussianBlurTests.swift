@testable import ArgusProposals
import XCTest

/// OpenCVGaussianBlur against cv2.getGaussianKernel and cv2.GaussianBlur (float32 images), bit for bit.
final class GaussianBlurTests: XCTestCase {
    func testKernelSizeMatchesOpenCV() throws {
        for k in try Fixtures.load().kernels {
            XCTAssertEqual(OpenCVGaussianBlur.kernelSize(sigma: k.sigma), k.size, "sigma \(k.sigma)")
        }
        // The selective-search sigma and the boundaries of the 7-tap kernel.
        XCTAssertEqual(OpenCVGaussianBlur.kernelSize(sigma: Double(Float(0.8))), 7)
        XCTAssertEqual(OpenCVGaussianBlur.kernelSize(sigma: 0.5625), 7)  // 5.5 rounds to even 6, | 1
        XCTAssertEqual(OpenCVGaussianBlur.kernelSize(sigma: 0.56), 5)
    }

    func testKernelValuesMatchOpenCV() throws {
        let kernels = try Fixtures.load().kernels
        XCTAssertGreaterThan(kernels.count, 240)
        var mismatches: [String] = []
        for k in kernels {
            let mine = OpenCVGaussianBlur.kernel(size: k.size, sigma: k.sigma).map(\.bitPattern)
            if mine != k.bits { mismatches.append("sigma \(k.sigma)") }
        }
        XCTAssertEqual(mismatches, [], "\(mismatches.count) of \(kernels.count) kernels differ from cv2.getGaussianKernel")
    }

    /// Every blur case of the fixture: widths that put elements in each tail of OpenCV's vector loops, heights
    /// down to 1 (the kernel collapses along a unit axis), several sigmas.
    func testBlurMatchesOpenCVBitForBit() throws {
        let cases = try Fixtures.load().blur
        XCTAssertGreaterThan(cases.count, 100)
        var mismatches: [String] = []
        for c in cases {
            let image = lcgBytes(seed: c.seed, count: c.width * c.height * 3).map { Float($0) }
            let out = OpenCVGaussianBlur.blur(image, width: c.width, height: c.height, channels: 3, sigma: c.sigma)
            if sha256(out) != c.sha256 { mismatches.append("\(c.width)x\(c.height) sigma \(c.sigma)") }
        }
        XCTAssertEqual(mismatches, [], "\(mismatches.count) of \(cases.count) blurs differ from cv2.GaussianBlur")
    }

    /// The tail rules matter: blurring with every element fused (OpenCV's vector-loop arithmetic throughout)
    /// must disagree with OpenCV on widths with tails, or the fixture would not test them.
    func testFixtureDistinguishesTailArithmetic() throws {
        let cases = try Fixtures.load().blur.filter { ($0.width * 3) % 16 != 0 && $0.width > 8 && $0.height >= 7 }
        XCTAssertFalse(cases.isEmpty)
        var differing = 0
        for c in cases {
            let image = lcgBytes(seed: c.seed, count: c.width * c.height * 3).map { Float($0) }
            if sha256(allFusedBlur(image, width: c.width, height: c.height, sigma: c.sigma)) != c.sha256 { differing += 1 }
        }
        XCTAssertGreaterThan(differing, cases.count / 2, "an all-FMA blur should miss most tail cases")
    }

    /// A plain separable blur, fused multiply-adds everywhere, for the test above.
    private func allFusedBlur(_ src: [Float], width: Int, height: Int, sigma: Double) -> [Float] {
        let k = OpenCVGaussianBlur.kernel(size: OpenCVGaussianBlur.kernelSize(sigma: sigma), sigma: sigma)
        let r = k.count / 2, cn = 3, stride = width * cn
        var rows = src, out = src
        for y in 0 ..< height {
            for e in 0 ..< stride {
                let x = e / cn, c = e % cn
                var s = src[y * stride + OpenCVGaussianBlur.reflect101(x - r, width) * cn + c] * k[0]
                for i in 1 ..< k.count {
                    s = s.addingProduct(src[y * stride + OpenCVGaussianBlur.reflect101(x - r + i, width) * cn + c], k[i])
                }
                rows[y * stride + e] = s
            }
        }
        for y in 0 ..< height {
            for e in 0 ..< stride {
                var s = rows[y * stride + e] * k[r]
                for i in 1 ... r {
                    let a = rows[OpenCVGaussianBlur.reflect101(y + i, height) * stride + e]
                        + rows[OpenCVGaussianBlur.reflect101(y - i, height) * stride + e]
                    s = s.addingProduct(a, k[r + i])
                }
                out[y * stride + e] = s
            }
        }
        return out
    }

    func testUnitImageIsCopied() {
        XCTAssertEqual(OpenCVGaussianBlur.blur([1, 2, 3], width: 1, height: 1, channels: 3, sigma: 0.8), [1, 2, 3])
    }

    func testReflect101() {
        XCTAssertEqual((-3 ... 7).map { OpenCVGaussianBlur.reflect101($0, 5) }, [3, 2, 1, 0, 1, 2, 3, 4, 3, 2, 1])
        XCTAssertEqual((-4 ... 5).map { OpenCVGaussianBlur.reflect101($0, 2) }, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
        XCTAssertEqual(OpenCVGaussianBlur.reflect101(-3, 1), 0)
    }
}
