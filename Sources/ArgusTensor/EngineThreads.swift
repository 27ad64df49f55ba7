import CBLAS
import Synchronization

/// The engine's thread count (process-wide): how many workers each conv splits its blocks over.
///
/// OpenBLAS itself always runs single-threaded: the engine calls it concurrently on disjoint blocks
/// (one oneDNN-style fork/join per conv instead of one per small GEMM), and the block partition
/// depends only on the shapes, so results are bit-identical for every thread count.
public enum EngineThreads {
    /// Sets how many threads each op may use (values below 1 become 1).
    public static func set(_ n: Int) {
        state.count.store(max(1, n), ordering: .relaxed)
    }

    /// The number of threads each op may use (initially OpenBLAS's default: OPENBLAS_NUM_THREADS or the core count).
    public static var current: Int { state.count.load(ordering: .relaxed) }

    /// OpenBLAS's build description (version and the CPU kernel it picked), for logs and benchmarks.
    public static var configuration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config)
    }

    /// Forces the one-time engine setup (OpenBLAS to one thread) before any GEMM runs.
    static func prepare() { _ = state }

    private final class State: Sendable {
        let count: Atomic<Int>
        init() {
            count = Atomic(max(1, Int(openblas_get_num_threads())))
            openblas_set_num_threads(1)
        }
    }

    /// Created on first use (Swift runs a static's initializer exactly once, thread-safely).
    private static let state = State()
}

/// The former name of `EngineThreads`, kept for callers (CLI, server).
public typealias BLASThreads = EngineThreads
