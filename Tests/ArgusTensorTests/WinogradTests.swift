import ArgusTensor
import CKernels
import XCTest

/// Winograd F(2x2, 3x3) against direct convolution (itself tested against torch): same values within
/// float rounding, for odd and even sizes, padding 0 and 1, batches, bias and activation, rows wide enough for the
/// 16-tile vector path and its edges; thread-count invariant.
final class WinogradTests: XCTestCase {
    func testMatchesDirectConvolution() throws {
        var gen = SplitMix(seed: 21)
        for (shape, cout, padding) in [([1, 8, 9, 11], 16, 1), ([3, 5, 7, 7], 6, 1), ([2, 4, 6, 10], 3, 0), ([1, 3, 3, 3], 2, 0),
                                       ([1, 64, 20, 17], 32, 1), ([2, 8, 12, 70], 8, 1), ([1, 4, 9, 81], 5, 0),
                                       ([1, 70, 7, 7], 67, 1), ([2, 9, 9, 11], 20, 1)] {
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
        let before = EngineThreads.current
        defer { EngineThreads.set(before) }
        // Blocks of tiles (3,200 tiles), and the few-tiles path split by channels (7x7: 16 tiles; 2 x 9x11: 60).
        for (shape, cout) in [([40, 16, 7, 40], 16), ([1, 70, 7, 7], 67), ([2, 9, 9, 11], 20)] {
            let x = gen.tensor(shape), w = try WinogradWeights(gen.tensor([cout, shape[1], 3, 3])), b = gen.tensor([cout])
            EngineThreads.set(1)
            let one = try winogradConv3x3(x, weights: w, bias: b, padding: 1, activation: .relu)
            for threads in [2, 3] {
                EngineThreads.set(threads)
                XCTAssertEqual(try winogradConv3x3(x, weights: w, bias: b, padding: 1, activation: .relu).storage, one.storage,
                               "\(shape), threads \(threads)")
            }
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

    /// The C tile transforms (CKernels/winograd.c) on both ISAs against Bᵀ d B and Aᵀ M A written out here with the
    /// same additions in the same order: bit for bit, for runs cut by the plane's edges, the padding, tile rows
    /// and blocks that start mid-row or span images.
    func testTileTransformsAreTheFormulasOnBothISAs() {
        var gen = SplitMix(seed: 24)
        let isas: [Int32] = argus_cpu_has_avx512f() != 0 ? [0, 1] : [0]
        for (n, c, h, w, pad, t0, count) in [(1, 3, 9, 11, 1, 0, 30), (2, 2, 6, 40, 1, 7, 200), (1, 1, 5, 3, 0, 1, 2),
                                            (1, 4, 17, 37, 2, 19, 150), (3, 1, 4, 4, 1, 2, 10)] {
            let x = (0..<n * c * h * w).map { _ in gen.next() }
            let oh = h + 2 * pad - 2, ow = w + 2 * pad - 2
            let tilesX = (ow + 1) / 2, perImage = ((oh + 1) / 2) * tilesX
            let count = min(count, n * perImage - t0)
            // Input transform, tile by tile.
            var expected = [Float](repeating: 0, count: 16 * c * count)
            for j in 0..<count {
                let t = t0 + j, image = t / perImage, r = t % perImage
                let y0 = (r / tilesX) * 2 - pad, x0 = (r % tilesX) * 2 - pad
                for ci in 0..<c {
                    func d(_ a: Int, _ b: Int) -> Float {
                        let y = y0 + a, xx = x0 + b
                        return y >= 0 && y < h && xx >= 0 && xx < w ? x[((image * c + ci) * h + y) * w + xx] : 0
                    }
                    var rows = [[Float]](repeating: [0, 0, 0, 0], count: 4)
                    for b in 0..<4 {
                        rows[0][b] = d(0, b) - d(2, b); rows[1][b] = d(1, b) + d(2, b)
                        rows[2][b] = d(2, b) - d(1, b); rows[3][b] = d(1, b) - d(3, b)
                    }
                    for a in 0..<4 {
                        let q = rows[a], v = [q[0] - q[2], q[1] + q[2], q[2] - q[1], q[1] - q[3]]
                        for b in 0..<4 { expected[((a * 4 + b) * c + ci) * count + j] = v[b] }
                    }
                }
            }
            // Output transform of arbitrary products, tile by tile.
            let products = (0..<16 * c * count).map { _ in gen.next() }
            var expectedOut = [Float](repeating: .nan, count: n * c * oh * ow)
            for j in 0..<count {
                let t = t0 + j, image = t / perImage, r = t % perImage
                let oy = (r / tilesX) * 2, ox = (r % tilesX) * 2
                for co in 0..<c {
                    func s(_ i: Int) -> Float { products[(i * c + co) * count + j] }
                    var q = [Float](repeating: 0, count: 8)
                    for b in 0..<4 {
                        q[b] = s(b) + s(4 + b) + s(8 + b)
                        q[4 + b] = s(4 + b) - s(8 + b) - s(12 + b)
                    }
                    let y = [q[0] + q[1] + q[2], q[1] - q[2] - q[3], q[4] + q[5] + q[6], q[5] - q[6] - q[7]]
                    for a in 0..<2 where oy + a < oh {
                        for b in 0..<2 where ox + b < ow { expectedOut[((image * c + co) * oh + oy + a) * ow + ox + b] = y[a * 2 + b] }
                    }
                }
            }
            for isa in isas {
                var v = [Float](repeating: .nan, count: 16 * c * count)
                x.withUnsafeBufferPointer { xb in
                    v.withUnsafeMutableBufferPointer {
                        argus_winograd_input(isa, xb.baseAddress!, c, 0, c, h, w, pad, tilesX, perImage, t0, count, $0.baseAddress!)
                    }
                }
                XCTAssertEqual(v.map(\.bitPattern), expected.map(\.bitPattern), "input \(n)x\(c)x\(h)x\(w) isa \(isa)")
                var out = [Float](repeating: .nan, count: n * c * oh * ow)
                products.withUnsafeBufferPointer { pb in
                    out.withUnsafeMutableBufferPointer {
                        argus_winograd_output(isa, pb.baseAddress!, c, 0, c, count, t0, tilesX, perImage, oh, ow, $0.baseAddress!)
                    }
                }
                XCTAssertEqual(out.map(\.bitPattern), expectedOut.map(\.bitPattern), "output \(n)x\(c)x\(h)x\(w) isa \(isa)")
            }
        }
    }
}
