import ArgusTensor
import XCTest

/// Winograd F(2x2, 3x3) against direct convolution (itself tested against torch): same values within
/// float rounding, for odd and even sizes, padding 0 and 1, batches, bias and activation, rows wide enough for the
/// 16-tile vector path and its edges; thread-count invariant.
final class WinogradTests: XCTestCase {
    func testMatchesDirectConvolution() throws {
        var gen = SplitMix(seed: 21)
        for (shape, cout, padding) in [([1, 8, 9, 11], 16, 1), ([3, 5, 7, 7], 6, 1), ([2, 4, 6, 10], 3, 0), ([1, 3, 3, 3], 2, 0),
                                       ([1, 64, 20, 17], 32, 1), ([2, 8, 12, 70], 8, 1), ([1, 4, 9, 81], 5, 0)] {
            let x = gen.tensor(shape), w = gen.tensor([cout, shape[1], 3, 3]), b = gen.tensor([cout])
            for activation in [nil, Activation.relu] {
                let direct = try conv2d(x, weight: w, bias: b, padding: padding, activation: activation)
                let fast = try winogradConv3x3(x, weights: WinogradWeights(w), bias: b, padding: padding, activation: activation)
                XCTAssertEqual(fast.shape, direct.shape)
                let scale = direct.storage.map(abs).max() ?? 1
                let worst = zip(fast.storage, direct.storage).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst, 1e-5 * max(1, scale), "\(shape) -> \(cout), padding \(padding)")
            }
        }
    }

    func testThreadCountDoesNotChangeResults() throws {
        var gen = SplitMix(seed: 22)
        let x = gen.tensor([40, 16, 7, 40]), w = try WinogradWeights(gen.tensor([16, 16, 3, 3]))
        let before = EngineThreads.current
        defer { EngineThreads.set(before) }
        EngineThreads.set(1)
        let one = try winogradConv3x3(x, weights: w, padding: 1)
        for threads in [2, 3] {
            EngineThreads.set(threads)
            XCTAssertEqual(try winogradConv3x3(x, weights: w, padding: 1).storage, one.storage, "threads \(threads)")
        }
    }

    func testBadShapesThrow() throws {
        var gen = SplitMix(seed: 23)
        XCTAssertThrowsError(try WinogradWeights(gen.tensor([4, 3, 5, 5])))
        let w = try WinogradWeights(gen.tensor([4, 3, 3, 3]))
        XCTAssertThrowsError(try winogradConv3x3(gen.tensor([1, 2, 8, 8]), weights: w))
        XCTAssertThrowsError(try winogradConv3x3(gen.tensor([1, 3, 1, 1]), weights: w, padding: 0))
        XCTAssertThrowsError(try winogradConv3x3(gen.tensor([1, 3, 8, 8]), weights: w, bias: gen.tensor([3])))
    }
}
