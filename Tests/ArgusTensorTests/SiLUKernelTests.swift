@testable import ArgusTensor
import CKernels
import XCTest

/// The C SiLU pass (AVX2, and AVX-512 where the CPU has it) must give the portable Swift kernel's bits, so results
/// do not depend on the machine.
final class SiLUKernelTests: XCTestCase {
    func testBiasSiLUKernelsMatchTheSwiftKernelBitForBit() throws {
        #if !arch(x86_64)
        throw XCTSkip("the C SiLU pass is x86-64 only")
        #endif
        var generator = SplitMix(seed: 7)  // ConvTests.swift: uniform in [-1, 1)
        var values: [Float] = (0..<20_011).map { _ in generator.next() * 30 }
        // The clamps (-20 and 88.75 on -x), the table's overflow row (-x near 88.7), zeros of both signs, tiny
        // and huge values, infinities and NaN.
        values += [0, -0, 20, -20, 20.0001, -88.75, -88.76, -88.7, -88.68, -88.3, -89, -89.5, 88.5, -100, 100,
                   1e-30, -1e-30, 1e30, -1e30,
                   .infinity, -.infinity, .nan, .leastNonzeroMagnitude, Float.greatestFiniteMagnitude]
        let widths: [Int32] = argus_cpu_has_avx512f() != 0 ? [0, 1] : [0]
        for avx512 in widths {
            for bias: Float in [0, 0.375, -1.25] {
                for count in [values.count, 1, 7, 8, 9, 15, 16, 17, 31, 33, 169] {  // full vectors and every kind of tail
                    var viaC = Array(values.prefix(count)), viaSwift = viaC
                    viaC.withUnsafeMutableBufferPointer { argus_bias_silu(avx512, $0.baseAddress!, $0.count, bias) }
                    viaSwift.withUnsafeMutableBufferPointer {
                        mapInPlace($0.baseAddress!, count: $0.count, Biased(bias: Vec(repeating: bias), f: SiLU()))
                    }
                    for i in 0..<count where viaC[i].bitPattern != viaSwift[i].bitPattern && !(viaC[i].isNaN && viaSwift[i].isNaN) {
                        XCTFail("silu(\(values[i]) + \(bias)): C (avx512 \(avx512)) \(viaC[i]), Swift \(viaSwift[i])")
                        return
                    }
                }
            }
        }
        if widths.count == 1 { print("this CPU has no AVX-512F: only the AVX2 SiLU pass was compared") }
    }
}
