import CBLAS

/// The thread count of the OpenBLAS pool that runs every GEMM (process-wide, as OpenBLAS keeps it).
public enum BLASThreads {
    /// Sets how many threads OpenBLAS uses for each GEMM (values below 1 become 1).
    public static func set(_ n: Int) {
        openblas_set_num_threads(Int32(clamping: max(1, n)))
    }

    /// The number of threads OpenBLAS currently uses.
    public static var current: Int { Int(openblas_get_num_threads()) }

    /// OpenBLAS's build description (version and the CPU kernel it picked), for logs and benchmarks.
    public static var configuration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config)
    }
}
