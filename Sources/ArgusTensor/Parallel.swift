import Dispatch

/// Runs `body` over `workers` contiguous slices of 0..<count at once (inline when one slice suffices).
/// Used for the non-GEMM parts of a conv (im2col, epilogue, depthwise) so they scale with the
/// same thread count OpenBLAS uses for the GEMM in between.
func parallelRanges(_ count: Int, workers: Int, _ body: (Range<Int>) -> Void) {
    let n = min(workers, count)
    if n <= 1 {
        body(0..<count)
        return
    }
    DispatchQueue.concurrentPerform(iterations: n) { i in
        body((i * count / n)..<((i + 1) * count / n))
    }
}

/// How many workers a pass over `elements` floats deserves: splitting below ~64K elements
/// costs more in dispatch than it saves.
@inline(__always)
func workerCount(elements: Int, available: Int) -> Int {
    available <= 1 ? 1 : max(1, min(available, elements / 65_536))
}
