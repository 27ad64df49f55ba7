import Dispatch
import Synchronization

/// Runs `body` over `workers` contiguous slices of 0..<count at once (inline when one slice suffices).
/// For element-wise passes where every slice does the same work per element.
func parallelRanges(_ count: Int, workers: Int, _ body: (Range<Int>) -> Void) {
    let n = min(workers, count)
    if n <= 1 {
        body(0..<count)
        return
    }
    WorkerPool.shared.run(participants: n) { i in
        body((i * count / n)..<((i + 1) * count / n))
    }
}

/// Runs `body(worker, block)` for every block in 0..<count on up to `workers` threads, handing blocks
/// out one at a time (so a worker the OS delays on a busy machine just takes fewer). `worker` is in
/// 0..<workers and unique among the threads running at once, for per-worker scratch.
/// Blocks run inline, in order, when one worker suffices.
func parallelBlocks(_ count: Int, workers: Int, _ body: (_ worker: Int, _ block: Int) -> Void) {
    let n = min(workers, count)
    if n <= 1 {
        for b in 0..<count { body(0, b) }
        return
    }
    let next = Atomic<Int>(0)
    WorkerPool.shared.run(participants: n) { worker in
        while true {
            let b = next.wrappingAdd(1, ordering: .relaxed).oldValue
            if b >= count { return }
            body(worker, b)
        }
    }
}

/// Runs `body` over contiguous slices of 0..<count on up to `EngineThreads.current` workers, each getting at
/// least `minimumPerWorker` items (inline below that). For element-independent passes in other modules, so
/// results do not depend on the split.
public func parallelSlices(_ count: Int, minimumPerWorker: Int = 65_536, _ body: (Range<Int>) -> Void) {
    parallelRanges(count, workers: min(EngineThreads.current, count / max(1, minimumPerWorker)), body)
}

/// How many workers a pass over `elements` floats deserves: splitting below ~64K elements
/// costs more in dispatch than it saves.
@inline(__always)
func workerCount(elements: Int, available: Int) -> Int {
    available <= 1 ? 1 : max(1, min(available, elements / 65_536))
}
