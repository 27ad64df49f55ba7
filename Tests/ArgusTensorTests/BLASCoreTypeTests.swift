import XCTest
@testable import ArgusTensor

/// The kernel choice when OpenBLAS falls back to its generic kernels (BLASCoreType).
final class BLASCoreTypeTests: XCTestCase {
    let avx512: Set<String> = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]

    func testFallbackOnAnAVX512CPUAsksForSkylakeX() {
        XCTAssertEqual(BLASCoreType.better(than: "Prescott", cpuFlags: avx512), "SkylakeX")
    }

    func testFallbackOnAnAVX2CPUAsksForHaswell() {
        XCTAssertEqual(BLASCoreType.better(than: "Prescott", cpuFlags: ["avx", "avx2", "fma"]), "Haswell")
        // AVX-512F alone (no BW/VL, e.g. Knights Landing) is not enough for the SkylakeX kernels.
        XCTAssertEqual(BLASCoreType.better(than: "Prescott", cpuFlags: ["avx2", "fma", "avx512f"]), "Haswell")
    }

    func testARecognisedCPUOrAnOldOneKeepsItsKernels() {
        XCTAssertNil(BLASCoreType.better(than: "SkylakeX", cpuFlags: avx512))
        XCTAssertNil(BLASCoreType.better(than: "Haswell", cpuFlags: avx512))
        XCTAssertNil(BLASCoreType.better(than: "Prescott", cpuFlags: ["sse3", "avx"]))
    }

    func testCPUFlagsAreReadFromTheFirstFlagsLine() {
        let cpuinfo = "processor\t: 0\nmodel name\t: X\nflags\t\t: fpu avx2 fma avx512f\nbugs\t\t: none\nflags\t\t: other\n"
        XCTAssertEqual(BLASCoreType.cpuFlags(cpuinfo: cpuinfo), ["fpu", "avx2", "fma", "avx512f"])
        XCTAssertEqual(BLASCoreType.cpuFlags(cpuinfo: nil), [])
    }
}
