import CKernels
import Foundation

/// What the CPU offers beyond the build's AVX2 + FMA baseline, read once. `ARGUS_NO_AVX512=1` keeps the AVX2
/// kernels on an AVX-512 machine (to compare the two paths; they give the same bits).
public enum CPUFeatures {
    public static let avx512: Bool = {
        #if arch(x86_64)
        if ProcessInfo.processInfo.environment["ARGUS_NO_AVX512"] == "1" { return false }
        return argus_cpu_has_avx512f() != 0
        #else
        return false
        #endif
    }()
}
