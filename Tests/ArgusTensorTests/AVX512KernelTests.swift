@testable import ArgusTensor
import CKernels
import XCTest

/// The AVX-512 epilogues must give the AVX2 Swift kernels' bits, so results do not depend on the machine.
final class AVX512KernelTests: XCTestCase {
    func testBiasSiLUMatchesTheAVX2KernelBitForBit() throws {
        guard argus_cpu_has_avx512f() != 0 else { throw XCTSkip("this CPU has no AVX-512F: only the AVX2 kernel runs here") }
        var generator = SplitMix(seed: 7)  // ConvTests.swift: uniform in [-1, 1)
        var values: [Float] = (0..<20_011).map { _ in generator.next() * 30 }
        // The clamps (-20 and 89 on -x), zeros of both signs, tiny and huge values, infinities and NaN.
        values += [0, -0, 20, -20, 20.0001, -89, -89.5, 88.5, -100, 100, 1e-30, -1e-30, 1e30, -1e30,
                   .infinity, -.infinity, .nan, .leastNonzeroMagnitude, Float.greatestFiniteMagnitude]
        for bias: Float in [0, 0.375, -1.25] {
            for count in [values.count, 1, 15, 16, 17, 31, 33, 169] {  // full vectors and every kind of tail
                var viaC = Array(values.prefix(count)), viaSwift = viaC
                viaC.withUnsafeMutableBufferPointer { argus_bias_silu_avx512($0.baseAddress!, $0.count, bias) }
                viaSwift.withUnsafeMutableBufferPointer {
                    mapInPlace($0.baseAddress!, count: $0.count, Biased(bias: Vec(repeating: bias), f: SiLU()))
                }
                for i in 0..<count where viaC[i].bitPattern != viaSwift[i].bitPattern && !(viaC[i].isNaN && viaSwift[i].isNaN) {
                    XCTFail("silu(\(values[i]) + \(bias)): AVX-512 \(viaC[i]), AVX2 \(viaSwift[i])")
                    return
                }
            }
        }
    }
}
