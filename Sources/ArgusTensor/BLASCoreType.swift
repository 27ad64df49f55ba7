import CBLAS
import Foundation

/// Which OpenBLAS GEMM kernel set runs, and a better one when OpenBLAS did not recognise the CPU.
///
/// A DYNAMIC_ARCH OpenBLAS picks its kernels from the CPU model when the library loads. Debian bookworm's 0.3.21
/// predates Sapphire and Emerald Rapids (family 6, models 143 and 207) and falls back to its Prescott (SSE3)
/// kernels there: Faster R-CNN MobileNetV3 FPN measured 1350 ms against 470 ms with the SkylakeX kernels on the
/// same core. OpenBLAS reads OPENBLAS_CORETYPE only at load, so the executable re-runs itself with it set.
public enum BLASCoreType {
    /// The kernel set OpenBLAS chose (e.g. "SkylakeX", "Haswell", "Prescott").
    public static var current: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The core type to ask for instead of `current`, or nil to keep it: only when OpenBLAS fell back to its
    /// generic x86-64 kernels on a CPU whose flags support AVX-512 (SkylakeX) or AVX2 + FMA (Haswell).
    public static func better(than current: String, cpuFlags flags: Set<String>) -> String? {
        guard current == "Prescott" else { return nil }
        if ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }

    /// The first `flags` line of /proc/cpuinfo (empty where there is none).
    public static func cpuFlags(cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) -> Set<String> {
        guard let line = cpuinfo?.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// Re-executes this process with OPENBLAS_CORETYPE set when `better` proposes one and the user has not set
    /// it; returns (doing nothing) otherwise, or when the exec fails.
    public static func reexecIfFallback(arguments: [String] = CommandLine.arguments) {
        // Start-up cost on a recognised CPU: one getenv and OpenBLAS's core name; /proc/cpuinfo only on a fallback.
        let name = current
        guard name == "Prescott", ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              let core = better(than: name, cpuFlags: cpuFlags()) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &argv)
        // Still here: the exec failed; carry on with the generic kernels (the variable stays set, so no loop).
        for p in argv { free(p) }
    }
}
