@testable import ArgusTensor
import CKernels
import XCTest

/// The C convolution kernels (CKernels/gemm.c, depthwise.c) against float64 references computed here, and their
/// AVX2 and AVX-512 versions against each other: each output is the same chain of fused multiply-adds on both,
/// so the bits must agree wherever the machine can run both.
final class ConvKernelTests: XCTestCase {
    private var isas: [Int32] { argus_cpu_has_avx512f() != 0 ? [0, 1] : [0] }

    /// C = A * B + bias, activation, through argus_gemm with `isa` (0 AVX2, 1 AVX-512).
    private func gemm(isa: Int32, m: Int, n: Int, k: Int, a: [Float], b: [Float], bias: [Float]?,
                      activation: Activation?) -> [Float] {
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: argus_gemm_packed_size(isa, m, k))
        defer { packed.deallocate() }
        a.withUnsafeBufferPointer { argus_gemm_pack_a(isa, m, k, $0.baseAddress!, k, packed) }
        var c = [Float](repeating: .nan, count: m * n)
        let (code, slope) = ConvGEMM.kernelActivation(activation)
        b.withUnsafeBufferPointer { bp in
            c.withUnsafeMutableBufferPointer { cp in
                withOptionalPointer(bias) { biasPointer in
                    argus_gemm(isa, m, n, k, packed, bp.baseAddress!, n, cp.baseAddress!, n, biasPointer, code, slope)
                }
            }
        }
        return c
    }

    func testGEMMMatchesFloat64AndBothISAsAgree() {
        var random = SplitMix(seed: 11)
        // Edge rows (m not a multiple of 6 or 8), edge columns (every tail width), k beyond one k-block (512).
        let shapes = [(1, 1, 1), (5, 7, 3), (8, 48, 16), (13, 50, 27), (16, 97, 108), (70, 333, 129), (24, 31, 600),
                      (7, 17, 1100)]
        for (m, n, k) in shapes {
            let a = (0..<m * k).map { _ in random.next() }, b = (0..<k * n).map { _ in random.next() }
            let bias = (0..<m).map { _ in random.next() }
            var results: [[Float]] = []
            for isa in isas {
                let c = gemm(isa: isa, m: m, n: n, k: k, a: a, b: b, bias: bias, activation: nil)
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = Double(bias[i]), magnitude = abs(Double(bias[i]))
                        for kk in 0..<k {
                            sum += Double(a[i * k + kk]) * Double(b[kk * n + j])
                            magnitude += abs(Double(a[i * k + kk]) * Double(b[kk * n + j]))
                        }
                        // Float32 summation of k terms: within k ulps of the sum of magnitudes.
                        let bound = Double(k + 1) * Double(Float.ulpOfOne) * magnitude
                        if abs(Double(c[i * n + j]) - sum) > bound {
                            XCTFail("\(m)x\(n)x\(k) isa \(isa) [\(i),\(j)]: \(c[i * n + j]) vs \(sum)")
                            return
                        }
                    }
                }
                results.append(c)
            }
            if results.count == 2 {
                XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern), "AVX2 vs AVX-512 at \(m)x\(n)x\(k)")
            }
        }
    }

    func testEveryColumnIsTheInOrderChainOfMultiplyAdds() {
        // Whole tiles, masked tiles and the last one or two columns (a matrix-vector product down the panels)
        // all compute each element as fma(a[k-1], b[k-1], ... fma(a[0], b[0], 0)), then bias, then the
        // activation: checked bit for bit against that chain written out here. 100 rows: more than one group of
        // panels and B copied tile by tile; k = 300: two k-blocks, the partial sums going through C. 13, 16, 32 and
        // 33 rows: a last panel of 1, 4, 2 and 3 rows (1 or 2: 2 x 48 tiles over whole 48-column runs).
        var random = SplitMix(seed: 19)
        for (m, k) in [(5, 3), (13, 300), (16, 300), (32, 40), (33, 40), (100, 300)] {
            for n in [1, 2, 3, 17, 18, 49, 50, 62, 97, 150] {
                let a = (0..<m * k).map { _ in random.next() }, b = (0..<k * n).map { _ in random.next() }
                let bias = (0..<m).map { _ in random.next() }
                var expected = [Float](repeating: 0, count: m * n)
                for i in 0..<m {
                    for j in 0..<n {
                        var chain: Float = 0
                        for kk in 0..<k { chain = chain.addingProduct(a[i * k + kk], b[kk * n + j]) }
                        expected[i * n + j] = chain
                    }
                }
                expected.withUnsafeMutableBufferPointer { p in
                    for r in 0..<m { Activation.biasAndActivate(p.baseAddress! + r * n, count: n, bias: bias[r], activation: .silu) }
                }
                for isa in isas {
                    let c = gemm(isa: isa, m: m, n: n, k: k, a: a, b: b, bias: bias, activation: .silu)
                    XCTAssertEqual(c.map(\.bitPattern), expected.map(\.bitPattern), "\(m)x\(n)x\(k) isa \(isa)")
                }
            }
        }
    }

    func testFusedActivationsEqualTheSwiftKernelsAfterTheGEMM() {
        var random = SplitMix(seed: 12)
        let m = 11, n = 37, k = 20
        // Large enough products to reach the exponential's clamps (|x| > 89 and > 103).
        let a = (0..<m * k).map { _ in random.next() * 6 }, b = (0..<k * n).map { _ in random.next() * 6 }
        let bias = (0..<m).map { _ in random.next() }
        let activations: [Activation] = [.relu, .relu6, .silu, .sigmoid, .hardswish, .hardsigmoid, .leakyReLU(slope: 0.1)]
        for isa in isas {
            let plain = gemm(isa: isa, m: m, n: n, k: k, a: a, b: b, bias: nil, activation: nil)
            for activation in activations {
                var expected = plain
                expected.withUnsafeMutableBufferPointer { p in
                    for r in 0..<m { Activation.biasAndActivate(p.baseAddress! + r * n, count: n, bias: bias[r], activation: activation) }
                }
                let fused = gemm(isa: isa, m: m, n: n, k: k, a: a, b: b, bias: bias, activation: activation)
                for i in 0..<m * n {
                    XCTAssertEqual(fused[i].bitPattern, expected[i].bitPattern, "\(activation) isa \(isa) at \(i): \(fused[i]) vs \(expected[i])")
                }
            }
        }
    }

    func testConvResultsDoNotDependOnTheRowSlice() {
        // The partition cuts output channels on panel boundaries: any cut gives the same bits.
        var random = SplitMix(seed: 13)
        let m = 40, n = 75, k = 33
        let a = (0..<m * k).map { _ in random.next() }, b = (0..<k * n).map { _ in random.next() }
        let whole = gemm(isa: ConvGEMM.avx512 ? 1 : 0, m: m, n: n, k: k, a: a, b: b, bias: nil, activation: .silu)
        a.withUnsafeBufferPointer { ap in
            let packed = PackedWeights(ap.baseAddress!, m: m, k: k, groups: 1)
            defer { packed.deallocate() }
            for slices in 1...4 {
                var c = [Float](repeating: .nan, count: m * n)
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        for s in 0..<slices {
                            let rows = ConvPartition.rowSlice(s, of: slices, m: m)
                            // Column halves too: a tile's columns do not matter either.
                            for (c0, cols) in [(0, 29), (29, n - 29)] {
                                ConvGEMM.multiply(packed, group: 0, rows: rows, n: cols, b: bp.baseAddress! + c0, ldb: n,
                                                  c: cp.baseAddress! + c0, ldc: n, bias: nil, activation: .silu)
                            }
                        }
                    }
                }
                XCTAssertEqual(c.map(\.bitPattern), whole.map(\.bitPattern), "\(slices) row slices")
            }
        }
    }

    func testDepthwisePlaneMatchesFloat64AndBothISAsAgree() {
        var random = SplitMix(seed: 14)
        // (h, w, k, stride, pad, dilation): 3x3 and 5x5, strides 1 and 2, asymmetric strides, dilation, tails.
        let cases: [(Int, Int, Int, (Int, Int), Int, Int)] = [
            (1, 1, 3, (1, 1), 1, 1), (7, 9, 3, (1, 1), 1, 1), (52, 52, 3, (1, 1), 1, 1), (208, 208, 3, (2, 2), 1, 1),
            (33, 47, 3, (2, 2), 1, 1), (20, 70, 5, (1, 1), 2, 1), (21, 37, 5, (2, 2), 2, 1), (30, 40, 3, (1, 1), 2, 2),
            (17, 19, 3, (1, 2), 0, 1), (9, 100, 7, (1, 1), 3, 1),
            // chunks of one to four vectors with every row-group tail (groups of two and four rows)
            (5, 8, 3, (1, 1), 1, 1), (7, 16, 3, (1, 1), 1, 1), (6, 24, 3, (1, 1), 1, 1), (11, 31, 3, (1, 1), 1, 1),
            (13, 13, 3, (1, 1), 1, 1), (26, 26, 3, (2, 2), 1, 1), (3, 104, 3, (1, 1), 1, 1),
        ]
        for (h, w, k, stride, pad, dilation) in cases {
            let outH = (h + 2 * pad - dilation * (k - 1) - 1) / stride.0 + 1
            let outW = (w + 2 * pad - dilation * (k - 1) - 1) / stride.1 + 1
            let input = (0..<h * w).map { _ in random.next() }, filter = (0..<k * k).map { _ in random.next() }
            let bias = random.next()
            var results: [[Float]] = []
            for isa in isas {
                var out = [Float](repeating: .nan, count: outH * outW)
                input.withUnsafeBufferPointer { ip in
                    filter.withUnsafeBufferPointer { fp in
                        out.withUnsafeMutableBufferPointer { op in
                            argus_depthwise_plane(isa, ip.baseAddress!, h, w, fp.baseAddress!, k, k, stride.0, stride.1,
                                                  pad, pad, dilation, dilation, bias, Int32(ARGUS_ACT_NONE), 0,
                                                  op.baseAddress!, outH, outW)
                        }
                    }
                }
                for oy in 0..<outH {
                    for ox in 0..<outW {
                        var sum = Double(bias), magnitude = abs(Double(bias))
                        var chain: Float = 0  // the documented order: taps in order, fused, then the bias
                        for i in 0..<k {
                            for j in 0..<k {
                                let y = oy * stride.0 + i * dilation - pad, x = ox * stride.1 + j * dilation - pad
                                guard y >= 0, y < h, x >= 0, x < w else { continue }
                                let t = Double(filter[i * k + j]) * Double(input[y * w + x])
                                sum += t; magnitude += abs(t)
                                chain = chain.addingProduct(filter[i * k + j], input[y * w + x])
                            }
                        }
                        let got = Double(out[oy * outW + ox])
                        if abs(got - sum) > Double(k * k + 1) * Double(Float.ulpOfOne) * magnitude {
                            XCTFail("\(h)x\(w) k\(k) s\(stride) isa \(isa) [\(oy),\(ox)]: \(got) vs \(sum)")
                            return
                        }
                        if out[oy * outW + ox].bitPattern != (chain + bias).bitPattern {
                            XCTFail("\(h)x\(w) k\(k) s\(stride) isa \(isa) [\(oy),\(ox)]: \(got), in-order chain \(chain + bias)")
                            return
                        }
                    }
                }
                results.append(out)
            }
            if results.count == 2 {
                XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern), "AVX2 vs AVX-512 at \(h)x\(w) k\(k) s\(stride)")
            }
        }
    }

    func testDepthwiseActivationsEqualTheSwiftKernelsAfterTheConvolution() {
        var random = SplitMix(seed: 16)
        let h = 13, w = 45, k = 3
        let input = (0..<h * w).map { _ in random.next() * 30 }, filter = (0..<k * k).map { _ in random.next() }
        let activations: [Activation] = [.relu, .relu6, .silu, .sigmoid, .hardswish, .hardsigmoid, .leakyReLU(slope: 0.2)]
        func run(_ isa: Int32, _ activation: Activation?) -> [Float] {
            var out = [Float](repeating: .nan, count: h * w)
            let (code, slope) = ConvGEMM.kernelActivation(activation)
            input.withUnsafeBufferPointer { ip in
                filter.withUnsafeBufferPointer { fp in
                    out.withUnsafeMutableBufferPointer { op in
                        argus_depthwise_plane(isa, ip.baseAddress!, h, w, fp.baseAddress!, k, k, 1, 1, 1, 1, 1, 1, 0.5,
                                              code, slope, op.baseAddress!, h, w)
                    }
                }
            }
            return out
        }
        for isa in isas {
            let plain = run(isa, nil)
            for activation in activations {
                var expected = plain
                expected.withUnsafeMutableBufferPointer { activation.apply($0.baseAddress!, count: $0.count) }
                XCTAssertEqual(run(isa, activation).map(\.bitPattern), expected.map(\.bitPattern), "\(activation) isa \(isa)")
            }
        }
    }

    func testDirectConvolutionMatchesFloat64() throws {
        var random = SplitMix(seed: 15)
        // (batch, cin, h, w, cout, k, stride, pad, dilation, groups): wide output rows take the direct path, strides
        // through their phases (YOLOv5's 6x6 stride-2 stem, odd widths, stride 3 with dilation, grouped: ungrouped
        // dilated convs take `TapRegions`); the last two large enough to run in chunks, each laying out its band.
        let cases = [(1, 3, 9, 40, 10, 3, 1, 1, 1, 1), (2, 4, 12, 33, 8, 3, 1, 2, 2, 2), (1, 6, 7, 64, 17, 5, 1, 2, 1, 1),
                     (1, 2, 5, 35, 3, 3, 1, 0, 1, 1), (1, 3, 11, 70, 9, 6, 2, 2, 1, 1), (1, 5, 9, 67, 7, 3, 2, 1, 1, 1),
                     (1, 2, 10, 110, 4, 3, 3, 2, 2, 2), (2, 8, 60, 72, 32, 3, 1, 1, 1, 2), (1, 6, 90, 140, 24, 5, 2, 2, 1, 1)]
        for (batch, cin, h, w, cout, k, stride, pad, dilation, groups) in cases {
            let input = random.tensor([batch, cin, h, w]), weight = random.tensor([cout, cin / groups, k, k])
            let bias = random.tensor([cout])
            let g = try ConvGeometry(input: input.shape, weight: weight.shape, bias: bias.shape, stride: (stride, stride),
                                     padding: (pad, pad), dilation: (dilation, dilation), groups: groups)
            guard case .direct(let chunks) = ConvPartition(g).kind else { return XCTFail("\(input.shape) does not take the direct path") }
            if h >= 60 { XCTAssertGreaterThan(chunks, 1, "\(input.shape) runs in chunks") }
            try assertConvMatchesFloat64(input, weight, bias, stride: stride, pad: pad, dilation: dilation, groups: groups)
        }
    }

    /// conv2d (through whichever path its shapes take) against a float64 sum of the same terms: within one ulp
    /// per term of the sum of magnitudes.
    private func assertConvMatchesFloat64(_ input: Tensor, _ weight: Tensor, _ bias: Tensor, stride: Int, pad: Int,
                                          dilation: Int, groups: Int, activation: Activation? = nil,
                                          file: StaticString = #filePath, line: UInt = #line) throws {
        let (batch, cin, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (cout, k) = (weight.shape[0], weight.shape[2])
        let g = try ConvGeometry(input: input.shape, weight: weight.shape, bias: bias.shape, stride: (stride, stride),
                                 padding: (pad, pad), dilation: (dilation, dilation), groups: groups)
        let y = try conv2d(input, weight: weight, bias: bias, stride: stride, padding: pad, dilation: dilation, groups: groups,
                           activation: activation)
        let cinG = cin / groups, coutG = cout / groups
        for n in 0..<batch {
            for co in 0..<cout {
                for oy in 0..<g.outH {
                    for ox in 0..<g.outW {
                        var sum = Double(bias.storage[co]), magnitude = abs(sum)
                        for ci in 0..<cinG {
                            let c = (co / coutG) * cinG + ci
                            for i in 0..<k {
                                for j in 0..<k {
                                    let iy = oy * stride + i * dilation - pad, ix = ox * stride + j * dilation - pad
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    let t = Double(weight.storage[((co * cinG + ci) * k + i) * k + j])
                                        * Double(input.storage[((n * cin + c) * h + iy) * w + ix])
                                    sum += t; magnitude += abs(t)
                                }
                            }
                        }
                        if activation == .relu { sum = max(0, sum) }
                        let got = Double(y.storage[((n * cout + co) * g.outH + oy) * g.outW + ox])
                        if abs(got - sum) > Double(cinG * k * k + 1) * Double(Float.ulpOfOne) * magnitude {
                            return XCTFail("\(input.shape) d\(dilation) [\(n),\(co),\(oy),\(ox)]: \(got) vs \(sum)",
                                           file: file, line: line)
                        }
                    }
                }
            }
        }
    }

    func testDilatedConvLeavesOutPaddingTapsAndMatchesFloat64() throws {
        var random = SplitMix(seed: 16)
        // (batch, cin, h, w, cout, k, stride, pad, dilation): DeepLabV3's ASPP shape in small (dilations up to and
        // beyond the map), strided and 5x5 dilated convs, a map wide enough for several row chunks, and padding so
        // wide that some outputs read no input at all (their value is the activation of the bias).
        let cases = [(1, 12, 7, 10, 9, 3, 1, 3, 3), (1, 12, 7, 10, 9, 3, 1, 6, 6), (1, 12, 7, 10, 9, 3, 1, 9, 9),
                     (2, 5, 9, 13, 11, 3, 2, 2, 2), (1, 4, 11, 12, 6, 5, 1, 4, 2), (1, 3, 30, 90, 17, 3, 1, 2, 2),
                     (1, 3, 4, 4, 5, 3, 1, 6, 2)]
        for (batch, cin, h, w, cout, k, stride, pad, dilation) in cases {
            let input = random.tensor([batch, cin, h, w]), weight = random.tensor([cout, cin, k, k])
            let bias = random.tensor([cout])
            XCTAssertTrue(try ConvWeights(weight, dilation: dilation).tapMajor)
            for activation in [nil, Activation.relu] {
                try assertConvMatchesFloat64(input, weight, bias, stride: stride, pad: pad, dilation: dilation, groups: 1,
                                             activation: activation)
            }
        }
    }

    func testTapRegionsKeepOnlyTheTapsThatReadTheImage() throws {
        // ASPP's rate-36 branch on a 27x40 map: only the middle kernel row reads the image, and its side taps only
        // for the 4 columns at each edge (hand-counted: 1296 of 9720 tap positions).
        let g = try ConvGeometry(input: [1, 8, 27, 40], weight: [4, 8, 3, 3], bias: nil, stride: (1, 1),
                                 padding: (36, 36), dilation: (36, 36), groups: 1)
        let regions = TapRegions(g)
        XCTAssertEqual(Set(regions.blocks.map(\.cols)), [0..<4, 4..<36, 36..<40])
        for block in regions.blocks {
            XCTAssertEqual(block.taps, block.cols == 0..<4 ? [4, 5] : block.cols == 36..<40 ? [3, 4] : [4])
        }
        XCTAssertEqual(regions.blocks.reduce(0) { $0 + $1.taps.count * $1.positions }, 1296)
        XCTAssertEqual(regions.blocks.reduce(0) { $0 + $1.positions }, 27 * 40)
    }

    func testGEMMPartsOverConsecutiveColumnsEqualOneGEMM() {
        var random = SplitMix(seed: 17)
        let (m, n, k) = (21, 70, 700)
        let a = (0..<m * k).map { _ in random.next() }, b = (0..<k * n).map { _ in random.next() }
        let bias = (0..<m).map { _ in random.next() }
        for isa in isas {
            let whole = gemm(isa: isa, m: m, n: n, k: k, a: a, b: b, bias: bias, activation: .relu)
            let packed = UnsafeMutablePointer<Float>.allocate(capacity: argus_gemm_packed_size(isa, m, k))
            defer { packed.deallocate() }
            a.withUnsafeBufferPointer { argus_gemm_pack_a(isa, m, k, $0.baseAddress!, k, packed) }
            var c = [Float](repeating: .nan, count: m * n)
            let (code, slope) = ConvGEMM.kernelActivation(.relu)
            let cuts = [0, 1, 300, 513, 700]
            for (p, (start, end)) in zip(cuts, cuts.dropFirst()).enumerated() {
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        argus_gemm_part(isa, m, n, start, end - start, k, packed, bp.baseAddress! + start * n, n,
                                        cp.baseAddress!, n, p == 0 ? 1 : 0, p == cuts.count - 2 ? 1 : 0, bias, code, slope)
                    }
                }
            }
            XCTAssertEqual(c.map(\.bitPattern), whole.map(\.bitPattern), "isa \(isa)")
        }
    }

    func testConvOfAConcatenationEqualsConvOfTheConcatenatedTensor() throws {
        var random = SplitMix(seed: 18)
        // (batch, channels of each input, h, w, cout): a small plane (output-channel slices), a wide one (column
        // slices) and a batch of small planes (one image at a time).
        for (batch, parts, h, w, cout) in [(1, [16, 16, 32], 12, 20, 40), (1, [8, 24], 60, 70, 24), (6, [5, 3, 4], 7, 7, 20)] {
            let inputs = parts.map { random.tensor([batch, $0, h, w]) }
            let weights = try ConvWeights(random.tensor([cout, parts.reduce(0, +), 1, 1]))
            let bias = random.tensor([cout])
            for activation in [nil, Activation.silu] {
                let expected = try conv2d(concat(inputs, axis: 1), weights: weights, bias: bias, activation: activation)
                let got = try conv2d(concatenated: inputs, weights: weights, bias: bias, activation: activation)
                XCTAssertEqual(got.shape, expected.shape)
                XCTAssertEqual(got.storage.map(\.bitPattern), expected.storage.map(\.bitPattern), "\(parts) \(h)x\(w)")
            }
        }
        let weights = try ConvWeights(random.tensor([4, 6, 1, 1]))
        XCTAssertThrowsError(try conv2d(concatenated: [random.tensor([1, 3, 5, 5]), random.tensor([1, 3, 5, 6])], weights: weights))
        XCTAssertThrowsError(try conv2d(concatenated: [random.tensor([1, 3, 5, 5]), random.tensor([1, 4, 5, 5])], weights: weights))
        XCTAssertThrowsError(try conv2d(concatenated: [random.tensor([1, 6, 5, 5])], weights: try ConvWeights(random.tensor([4, 6, 3, 3]))))
    }
}
