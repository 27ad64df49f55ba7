import ArgusTensor
import Dispatch

/// Splits [0, count) into contiguous ranges over `EngineThreads.current` workers for the elementwise
/// loops ArgusONNX runs itself (quantization, conv epilogues). Small counts stay on the calling thread.
/// Each element is computed the same way whatever the split, so results do not depend on the thread count.
func parallelRanges(_ count: Int, minimumPerWorker: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
    let workers = min(EngineThreads.current, count / minimumPerWorker)
    guard workers > 1 else {
        if count > 0 { body(0..<count) }
        return
    }
    let size = (count + workers - 1) / workers
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = w * size, hi = min(count, lo + size)
            if lo < hi { body(lo..<hi) }
        }
    }
}
