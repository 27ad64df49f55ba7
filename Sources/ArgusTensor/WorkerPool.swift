import CKernels
import Foundation
import Synchronization

/// Helper threads kept for the whole process, so the engine's fork/join around each operator does not put
/// threads to sleep and wake them again (a model runs a hundred or more operators per image). Between jobs a
/// helper spins briefly, then sleeps on a condition until the next job.
///
/// Helper k is pinned to one CPU of the process's affinity mask (`argus_helper_cpu`; run under taskset or a cpuset
/// to choose them), and a caller found on a helper's CPU moves off it before it runs its share (its mask unchanged).
///
/// One job runs at a time; a caller that finds the pool busy (another request's op, or a nested parallel
/// call) runs its job on Dispatch instead. Which thread runs which part never affects results: callers
/// partition work by shape alone.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// Spins of the helper's wait loop before it sleeps (about 0.1-0.3 ms of `pause`).
    private static let spinLimit = 4096

    private final class Job {
        let generation: Int
        let participants: Int
        let body: (Int) -> Void
        init(generation: Int, participants: Int, body: @escaping (Int) -> Void) {
            self.generation = generation; self.participants = participants; self.body = body
        }
    }

    private let busy = Atomic<Bool>(false)
    /// Bumped (under `condition`) when a job is published; helpers spin on it without the lock.
    private let generation = Atomic<Int>(0)
    /// Participating helpers that have not finished the current job.
    private let pending = Atomic<Int>(0)
    private let condition = NSCondition()
    /// Guarded by `condition`.
    private var job: Job?
    private var helpers = 0
    /// Guarded by `condition`: helper k's CPU at index k - 1 (-1: not pinned).
    private var helperCPUs: [Int32] = []

    /// Runs `body(worker)` once for each worker in 0..<participants at the same time; worker 0 is the caller.
    func run(participants: Int, _ body: (Int) -> Void) {
        if participants <= 1 { body(0); return }
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            DispatchQueue.concurrentPerform(iterations: participants, execute: body)
            return
        }
        withoutActuallyEscaping(body) { body in
            condition.lock()
            while helpers < participants - 1 {
                helpers += 1
                let index = helpers, cpu = argus_helper_cpu(index)
                helperCPUs.append(cpu)
                let thread = Thread { [unowned self] in self.helperLoop(index: index, cpu: cpu) }
                thread.name = "argus-engine-\(index)"
                thread.start()
            }
            // Off the CPUs of this job's helpers before they start (a system call only when on one of them).
            helperCPUs.withUnsafeBufferPointer { _ = argus_move_off_cpus($0.baseAddress, participants - 1) }
            pending.store(participants - 1, ordering: .relaxed)
            let next = generation.load(ordering: .relaxed) + 1
            job = Job(generation: next, participants: participants, body: body)
            generation.store(next, ordering: .releasing)
            condition.broadcast()
            condition.unlock()

            body(0)
            while pending.load(ordering: .acquiring) > 0 { Self.pause() }

            condition.lock()
            job = nil
            condition.unlock()
        }
        busy.store(false, ordering: .releasing)
    }

    private func helperLoop(index: Int, cpu: Int32) {
        // Unpinned, a helper was seen sharing its caller's CPU for whole seconds (YOLOX-Nano at 2 threads then
        // taking its 1-thread time); pinned, it is the caller that moves off, in `run`.
        if cpu >= 0 { _ = argus_pin_to_cpu(cpu) }
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                if spins < Self.spinLimit {
                    spins += 1
                    Self.pause()
                    continue
                }
                condition.lock()
                while generation.load(ordering: .acquiring) == seen { condition.wait() }
                condition.unlock()
            }
            // Only a participant takes a reference to the job, under the lock, and drops it before it reports
            // done: `run` checks on return that nothing kept its (non-escaping) closure.
            var mine: Job?
            var newest = seen
            condition.lock()
            if let current = job {
                newest = current.generation
                if current.generation != seen && index < current.participants { mine = current }
            }
            condition.unlock()
            // `job` can be nil (finished, and this helper took no part) or newer than the generation that woke
            // us: take whatever is current, once.
            guard newest != seen else {
                seen = generation.load(ordering: .acquiring)
                continue
            }
            seen = newest
            if mine != nil {
                mine!.body(index)
                mine = nil
                pending.subtract(1, ordering: .releasing)
            }
        }
    }

    @inline(__always)
    private static func pause() { argus_cpu_pause() }
}
