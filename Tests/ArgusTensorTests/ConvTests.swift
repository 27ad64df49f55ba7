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

    /// Splitting im2col / epilogue / depthwise over workers (and OpenBLAS over threads) does not
    /// change a single bit: every output element is computed the same way.
    func testThreadCountDoesNotChangeResults() throws {
        let before = BLASThreads.current
        defer { BLASThreads.set(before) }
        var gen = SplitMix(seed: 11)
        let x = gen.tensor([2, 16, 67, 45])
        for (w, groups, stride) in [(gen.tensor([24, 16, 3, 3]), 1, 2), (gen.tensor([16, 1, 3, 3]), 16, 1),
                                    (gen.tensor([32, 16, 1, 1]), 1, 1)] {
            BLASThreads.set(1)
            let one = try conv2d(x, weight: w, stride: stride, padding: w.shape[2] / 2, groups: groups, activation: .silu)
            BLASThreads.set(2)
            let two = try conv2d(x, weight: w, stride: stride, padding: w.shape[2] / 2, groups: groups, activation: .silu)
            assertClose(two, one, "threads \(w.shape)")
        }
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
