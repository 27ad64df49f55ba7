import Foundation

/// What `argus bench` reports about the machine and its own process: the CPU with the vector extensions the engines
/// can use (onnxruntime and OpenVINO pick VNNI, AMX or bf16 kernels where the CPU has them; Argus's are below the
/// table), and the peak resident set.
enum BenchMachine {
    /// `/proc/cpuinfo` flag names and how they are printed, in order.
    private static let extensions: [(flag: String, name: String)] = [
        ("avx2", "AVX2"), ("fma", "FMA"), ("avx512f", "AVX-512F"), ("avx512bw", "AVX-512BW"), ("avx512vl", "AVX-512VL"),
        ("avx512_vnni", "AVX-512-VNNI"), ("avx512_bf16", "AVX-512-BF16"), ("avx512_fp16", "AVX-512-FP16"),
        ("avx_vnni", "AVX-VNNI"), ("amx_bf16", "AMX-BF16"), ("amx_int8", "AMX-INT8"),
        ("asimd", "NEON"), ("asimddp", "NEON-dot"), ("sve", "SVE"), ("sve2", "SVE2"), ("bf16", "BF16"), ("i8mm", "I8MM"),
    ]

    /// "Machine: <CPU model>, N logical CPUs; ISA: AVX2 FMA ..." (the model and ISA from /proc/cpuinfo, on Linux).
    static var description: String {
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else {
            return "Machine: \(cpus) logical CPUs"
        }
        func field(_ names: [String]) -> String? {
            for line in info.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2, names.contains(parts[0].trimmingCharacters(in: .whitespaces)) {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
            return nil
        }
        let flags = Set((field(["flags", "Features"]) ?? "").split(separator: " ").map(String.init))
        let isa = extensions.filter { flags.contains($0.flag) }.map(\.name)
        return "Machine: \(field(["model name"]) ?? "unknown CPU"), \(cpus) logical CPUs; ISA: "
            + (isa.isEmpty ? "baseline" : isa.joined(separator: " "))
    }

    /// This process's peak resident set in MB (getrusage's ru_maxrss: KiB on Linux, bytes on Darwin). Peers run in
    /// child processes, which RUSAGE_SELF does not count.
    static func peakRSSMegabytes() -> Double {
        var usage = rusage()
        #if os(Linux)
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return .nan }
        return Double(usage.ru_maxrss) / 1024
        #else
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return .nan }
        return Double(usage.ru_maxrss) / (1024 * 1024)
        #endif
    }
}
