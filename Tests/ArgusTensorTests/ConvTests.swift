import ArgusTensor
import XCTest

final class ConvTests: XCTestCase {
    private func activation(_ c: FixtureCase) -> Activation? {
        switch c.string("activation") {
        case "relu": return .relu
        case "relu6": return .relu6
        case "silu": return .silu
        case "sigmoid": return .sigmoid
        case "hardswish": return .hardswish
        case "hardsigmoid": return .hardsigmoid
        case "leaky_relu": return .leakyReLU(slope: 0.1)
        default: return nil
        }
    }

    func testConvMatchesTorch() throws {
        for c in Fixtures.cases(op: "conv2d") {
            let s = c.ints("stride"), p = c.ints("padding"), d = c.ints("dilation")
            let y = try conv2d(c.tensor("input"), weight: c.tensor("weight"), bias: c.optionalTensor("bias"),
                               stride: (s[0], s[1]), padding: (p[0], p[1]), dilation: (d[0], d[1]),
                               groups: c.int("groups"), activation: activation(c))
            assertClose(y, c.tensor("output"), rtol: 1e-5, atol: 1e-5, c.name)
        }
    }

    /// Convs big enough to be cut into blocks, one per partition kind: column slices of a 1x1 GEMM,
    /// output-channel slices (1x1 and whole-plane im2col), im2col row chunks, depthwise planes.
    private func blockedCases() -> [(x: Tensor, w: Tensor, b: Tensor, stride: Int, groups: Int)] {
        var gen = SplitMix(seed: 11)
        let x = gen.tensor([2, 16, 67, 45]), small = gen.tensor([1, 128, 14, 20])
        return [(x, gen.tensor([24, 16, 3, 3]), gen.tensor([24]), 2, 1),
                (x, gen.tensor([16, 1, 3, 3]), gen.tensor([16]), 1, 16),
                (x, gen.tensor([32, 16, 1, 1]), gen.tensor([32]), 1, 1),
                (small, gen.tensor([64, 128, 3, 3]), gen.tensor([64]), 1, 1),
                (small, gen.tensor([96, 128, 1, 1]), gen.tensor([96]), 1, 1)]
    }

    /// Splitting a conv over workers does not change a single bit: the blocks (and so every GEMM
    /// call) depend only on the shapes, not on the thread count.
    func testThreadCountDoesNotChangeResults() throws {
        let before = EngineThreads.current
        defer { EngineThreads.set(before) }
        for c in blockedCases() {
            func run(_ threads: Int) throws -> Tensor {
                EngineThreads.set(threads)
                return try conv2d(c.x, weight: c.w, bias: c.b, stride: c.stride, padding: c.w.shape[2] / 2,
                                  groups: c.groups, activation: .silu)
            }
            let one = try run(1)
            assertClose(try run(2), one, "2 threads \(c.w.shape)")
            assertClose(try run(3), one, "3 threads \(c.w.shape)")
        }
    }

    /// The blocked paths against a direct float64 convolution written out in the test.
    func testBlockedConvsMatchDirectConvolution() throws {
        let before = EngineThreads.current
        defer { EngineThreads.set(before) }
        EngineThreads.set(2)
        for c in blockedCases() {
            let pad = c.w.shape[2] / 2
            let y = try conv2d(c.x, weight: c.w, bias: c.b, stride: c.stride, padding: pad, groups: c.groups)
            assertClose(y, directConv(c.x, c.w, c.b, stride: c.stride, pad: pad, groups: c.groups),
                        rtol: 1e-4, atol: 1e-4, "direct \(c.w.shape)")
        }
    }

    private func directConv(_ x: Tensor, _ w: Tensor, _ b: Tensor, stride: Int, pad: Int, groups: Int) -> Tensor {
        let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, cpg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let oh = (h + 2 * pad - kh) / stride + 1, ow = (wd + 2 * pad - kw) / stride + 1
        var out = [Float](repeating: 0, count: n * cout * oh * ow)
        for img in 0..<n {
            for co in 0..<cout {
                let g = co / (cout / groups)
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var sum = Double(b.storage[co])
                        for ci in 0..<cpg {
                            let c = g * cpg + ci
                            for i in 0..<kh {
                                let iy = oy * stride + i - pad
                                if iy < 0 || iy >= h { continue }
                                for j in 0..<kw {
                                    let ix = ox * stride + j - pad
                                    if ix < 0 || ix >= wd { continue }
                                    sum += Double(x.storage[((img * cin + c) * h + iy) * wd + ix])
                                        * Double(w.storage[((co * cpg + ci) * kh + i) * kw + j])
                                }
                            }
                        }
                        out[((img * cout + co) * oh + oy) * ow + ox] = Float(sum)
                    }
                }
            }
        }
        return Tensor(shape: [n, cout, oh, ow], storage: out)
    }

    /// The square-parameter overload and the unfused activation give the same as the fused call.
    func testSquareOverloadAndFusionAgree() throws {
        let c = Fixtures.all.first { $0.name == "conv_3x3_s2_p1_silu" }!
        var plain = try conv2d(c.tensor("input"), weight: c.tensor("weight"), bias: c.tensor("bias"), stride: 2, padding: 1)
        plain.apply(.silu)
        let fused = try conv2d(c.tensor("input"), weight: c.tensor("weight"), bias: c.tensor("bias"),
                               stride: 2, padding: 1, activation: .silu)
        assertClose(fused, plain, "fused vs separate")
        assertClose(fused, c.tensor("output"), rtol: 1e-5, atol: 1e-5, "fused vs torch")
    }

    /// Hand-computed: a 1x1x3x3 input, 2x2 kernel, padding 1, stride 2, with bias.
    func testTinyConvByHand() throws {
        let x = Tensor(shape: [1, 1, 3, 3], storage: [1, 2, 3,
                                                     4, 5, 6,
                                                     7, 8, 9])
        let w = Tensor(shape: [1, 1, 2, 2], storage: [1, 10,
                                                     100, 1000])
        let b = Tensor(shape: [1], storage: [0.5])
        // Output 2x2: windows start at rows/cols -1 and 1 of the padded input.
        let y = try conv2d(x, weight: w, bias: b, stride: 2, padding: 1)
        // (0,0): rows -1..0, cols -1..0 -> x00*1000 = 1000
        // (0,1): rows -1..0, cols 1..2 -> x01*100 + x02*1000 = 200 + 3000 = 3200
        // (1,0): rows 1..2, cols -1..0 -> x10*10 + x20*1000 = 40 + 7000 = 7040
        // (1,1): rows 1..2, cols 1..2 -> x11*1 + x12*10 + x21*100 + x22*1000 = 5 + 60 + 800 + 9000 = 9865
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        XCTAssertEqual(y.storage, [1000.5, 3200.5, 7040.5, 9865.5])

        // Depthwise path, two channels with different kernels, stride 1, no padding, then ReLU.
        let x2 = Tensor(shape: [1, 2, 2, 2], storage: [1, 2, 3, 4, -1, -2, -3, -4])
        let w2 = Tensor(shape: [2, 1, 2, 2], storage: [1, 1, 1, 1, 1, 0, 0, 2])
        let y2 = try conv2d(x2, weight: w2, groups: 2, activation: .relu)
        XCTAssertEqual(y2.storage, [10, 0])  // 1+2+3+4; relu(-1 - 8)
    }

    func testBadShapesThrow() {
        let x = Tensor(zeros: [1, 4, 5, 5])
        XCTAssertThrowsError(try conv2d(x, weight: Tensor(zeros: [2, 3, 3, 3])))            // channel mismatch
        XCTAssertThrowsError(try conv2d(x, weight: Tensor(zeros: [3, 2, 3, 3]), groups: 2)) // Cout % groups
        XCTAssertThrowsError(try conv2d(x, weight: Tensor(zeros: [2, 4, 7, 7])))            // kernel > input
        XCTAssertThrowsError(try conv2d(x, weight: Tensor(zeros: [2, 4, 3, 3]), bias: Tensor(zeros: [3])))
        XCTAssertThrowsError(try conv2d(x, weight: Tensor(zeros: [2, 4, 3, 3]), stride: 0))
        XCTAssertThrowsError(try conv2d(Tensor(zeros: [4, 5, 5]), weight: Tensor(zeros: [2, 4, 3, 3])))
        XCTAssertThrowsError(try conv2d(Tensor(zeros: [1, 4, 0, 5]), weight: Tensor(zeros: [2, 4, 1, 1]), padding: 1))
        XCTAssertNoThrow(try conv2d(x, weight: Tensor(zeros: [2, 4, 7, 7]), padding: 1))   // fits with padding
    }

    /// Chunked im2col must not change results: a map tall enough to need several chunks.
    func testChunkedIm2colMatchesSingleRowConvs() throws {
        var gen = SplitMix(seed: 7)
        let x = gen.tensor([1, 32, 61, 45]), w = gen.tensor([8, 32, 3, 3]), b = gen.tensor([8])
        let y = try conv2d(x, weight: w, bias: b, padding: 1)
        // Reference: direct summation in Double for a few output pixels, including borders.
        for (oc, oh, ow) in [(0, 0, 0), (3, 30, 22), (7, 60, 44), (5, 59, 0), (1, 17, 44)] {
            var sum = Double(b.storage[oc])
            for c in 0..<32 { for i in 0..<3 { for j in 0..<3 {
                let ih = oh + i - 1, iw = ow + j - 1
                guard ih >= 0, ih < 61, iw >= 0, iw < 45 else { continue }
                sum += Double(x.storage[(c * 61 + ih) * 45 + iw]) * Double(w.storage[((oc * 32 + c) * 3 + i) * 3 + j])
            } } }
            XCTAssertEqual(Double(y.storage[(oc * 61 + oh) * 45 + ow]), sum, accuracy: 1e-4 * max(1, abs(sum)))
        }
    }
}

/// A tiny deterministic generator for test inputs.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> Float {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        z ^= z >> 31
        return Float(z >> 40) / Float(1 << 24) * 2 - 1
    }
    mutating func tensor(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in next() })
    }
}
