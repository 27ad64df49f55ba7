import ArgusTensor
import XCTest

/// The elementwise ops split over workers once tensors are large (>= 64K elements per worker):
/// these run them big enough to split and compare with the direct definitions and with one thread.
final class ParallelOpsTests: XCTestCase {
    private func withThreads<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        let before = EngineThreads.current
        defer { EngineThreads.set(before) }
        EngineThreads.set(n)
        return try body()
    }

    func testConcatSplitsAcrossWorkersLikeTheDefinition() throws {
        var gen = SplitMix(seed: 5)
        // Two images, so worker ranges cross outer rows; an empty piece in the middle.
        let parts = [gen.tensor([2, 16, 60, 80]), gen.tensor([2, 0, 60, 80]), gen.tensor([2, 48, 60, 80])]
        for threads in [2, 3] {
            let y = try withThreads(threads) { try concat(parts, axis: 1) }
            XCTAssertEqual(y.shape, [2, 64, 60, 80])
            var expected: [Float] = []
            for n in 0..<2 {
                for p in parts {
                    let block = p.count / 2
                    expected += p.storage[(n * block)..<((n + 1) * block)]
                }
            }
            XCTAssertEqual(y.storage, expected, "threads \(threads)")
        }
    }

    func testElementwiseOpsAgreeWithOneThread() throws {
        var gen = SplitMix(seed: 6)
        let a = gen.tensor([1, 32, 80, 96]), b = gen.tensor([1, 32, 80, 96]), s = gen.tensor([1, 32, 1, 1])
        let sum = try withThreads(2) { try add(a, b) }
        XCTAssertEqual(sum.storage, zip(a.storage, b.storage).map { $0 + $1 })
        let scaled = try withThreads(2) { try mul(a, s) }
        XCTAssertEqual(scaled.storage, a.storage.enumerated().map { $0.element * s.storage[$0.offset / (80 * 96)] })
        // The residual add with its ReLU in the same pass: max(a + b, 0), and per channel; a size that is not a
        // multiple of the 4096-element runs.
        let c = gen.tensor([1, 7, 99, 101]), d = gen.tensor([1, 7, 99, 101]), t = gen.tensor([1, 7, 1, 1])
        for threads in [1, 2, 3] {
            let fused = try withThreads(threads) { try add(c, d, activation: .relu) }
            XCTAssertEqual(fused.storage, zip(c.storage, d.storage).map { max($0 + $1, 0) }, "threads \(threads)")
            let perChannel = try withThreads(threads) { try add(c, t, activation: .relu) }
            XCTAssertEqual(perChannel.storage, c.storage.enumerated().map { max($0.element + t.storage[$0.offset / (99 * 101)], 0) })
        }

        let one = try withThreads(1) {
            (silu(a), try maxPool2d(a, kernel: 5, stride: 1, padding: 2), try interpolateNearest(a, scaleFactor: 2))
        }
        for threads in [2, 3] {
            let many = try withThreads(threads) {
                (silu(a), try maxPool2d(a, kernel: 5, stride: 1, padding: 2), try interpolateNearest(a, scaleFactor: 2))
            }
            XCTAssertEqual(many.0, one.0, "silu, threads \(threads)")
            XCTAssertEqual(many.1, one.1, "max pool, threads \(threads)")
            XCTAssertEqual(many.2, one.2, "nearest, threads \(threads)")
        }
        // Spot values against the definitions.
        XCTAssertEqual(one.2.storage[(5 * 160 + 7) * 192 + 9], a.storage[(5 * 80 + 3) * 96 + 4])
        let center = (3 * 80 + 40) * 96 + 50
        var best = -Float.infinity
        for dy in -2...2 { for dx in -2...2 { best = max(best, a.storage[center + dy * 96 + dx]) } }
        XCTAssertEqual(one.1.storage[center], best)
    }

    /// Batches of small planes (RoI heads) take the batched-images GEMM: each image must equal its own
    /// single-image conv (another GEMM shape, so within float rounding), and any thread count the same bits.
    func testBatchedSmallPlaneConvMatchesPerImageConv() throws {
        var gen = SplitMix(seed: 9)
        // 45 images: blocks of 20 (1024 / 49 columns) plus a partial block; 3x3 padded, and 1x1.
        let x = gen.tensor([45, 16, 7, 7]), w3 = gen.tensor([32, 16, 3, 3]), w1 = gen.tensor([24, 16, 1, 1])
        let bias = gen.tensor([32])
        for (weight, padding, b) in [(w3, 1, Optional(bias)), (w1, 0, nil)] {
            let batched = try withThreads(1) { try conv2d(x, weight: weight, bias: b, padding: padding, activation: .relu) }
            let cout = weight.shape[0]
            XCTAssertEqual(batched.shape, [45, cout, 7, 7])
            for n in [0, 19, 20, 44] {
                let image = try slice(x, axis: 0, n..<(n + 1))
                let single = try conv2d(image, weight: weight, bias: b, padding: padding, activation: .relu)
                let got = Array(batched.storage[(n * cout * 49)..<((n + 1) * cout * 49)])
                for (u, v) in zip(got, single.storage) { XCTAssertEqual(u, v, accuracy: 1e-4, "image \(n)") }
            }
            for threads in [2, 3] {
                let many = try withThreads(threads) { try conv2d(x, weight: weight, bias: b, padding: padding, activation: .relu) }
                XCTAssertEqual(many.storage, batched.storage, "threads \(threads)")
            }
        }
    }
}
