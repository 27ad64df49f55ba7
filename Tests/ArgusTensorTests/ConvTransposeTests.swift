import ArgusTensor
import XCTest

/// convTranspose2d (kernel == stride) against the definition of a transposed convolution written as loops:
/// every input pixel scatters weight[i, o] * x into its own k x k output block.
final class ConvTransposeTests: XCTestCase {
    func testEqualsTheScatterDefinition() throws {
        var rng = SystemRandomNumberGenerator()
        for (n, cin, cout, h, w, k) in [(1, 1, 1, 1, 1, 2), (2, 3, 4, 5, 6, 2), (3, 5, 2, 4, 3, 3), (1, 8, 16, 7, 7, 1)] {
            let x = Tensor(shape: [n, cin, h, w], storage: (0..<(n * cin * h * w)).map { _ in Float.random(in: -1...1, using: &rng) })
            let wt = Tensor(shape: [cin, cout, k, k], storage: (0..<(cin * cout * k * k)).map { _ in Float.random(in: -1...1, using: &rng) })
            let b = Tensor(shape: [cout], storage: (0..<cout).map { _ in Float.random(in: -1...1, using: &rng) })
            var expected = [Double](repeating: 0, count: n * cout * h * k * w * k)
            for img in 0..<n { for o in 0..<cout { for y in 0..<(h * k) { for xx in 0..<(w * k) {
                var s = Double(b.storage[o])
                for i in 0..<cin {
                    s += Double(wt.storage[((i * cout + o) * k + y % k) * k + xx % k])
                        * Double(x.storage[((img * cin + i) * h + y / k) * w + xx / k])
                }
                expected[((img * cout + o) * h * k + y) * w * k + xx] = s
            } } } }
            let out = try convTranspose2d(x, weight: wt, bias: b, stride: k)
            XCTAssertEqual(out.shape, [n, cout, h * k, w * k])
            for (a, e) in zip(out.storage, expected) { XCTAssertEqual(Double(a), e, accuracy: 1e-5) }
        }
    }

    func testRejectsOverlappingKernelsAndMismatchedWeights() {
        XCTAssertThrowsError(try convTranspose2d(Tensor(zeros: [1, 2, 3, 3]), weight: Tensor(zeros: [2, 2, 3, 3]), stride: 2))
        XCTAssertThrowsError(try convTranspose2d(Tensor(zeros: [1, 2, 3, 3]), weight: Tensor(zeros: [3, 2, 2, 2]), stride: 2))
        XCTAssertThrowsError(try convTranspose2d(Tensor(zeros: [1, 2, 3, 3]), weight: Tensor(zeros: [2, 2, 2, 2]),
                                                 bias: Tensor(zeros: [3]), stride: 2))
    }
}
