import ArgusPipeline
import Foundation

/// Runs inference jobs on a fixed set of worker threads behind a bounded queue.
///
/// `run` blocks its caller (a connection thread) until the job finishes or its deadline passes.
/// A full queue is refused at once (503), so overload never grows memory or latency without bound;
/// a job whose deadline passes while queued is dropped without running.
public final class InferenceScheduler: @unchecked Sendable {
    public let workerCount: Int
    public let queueCapacity: Int

    private let condition = NSCondition()
    private var queue: [Job?] = []
    private var queueHead = 0
    private var running = 0
    private var stopping = false
    /// Exponential moving average of job run time, for `Retry-After`.
    private var averageJobSeconds = 0.5

    /// - Parameters: workers: threads running jobs; queueCapacity: jobs allowed to wait for a busy worker.
    public init(workers: Int, queueCapacity: Int) {
        precondition(workers >= 1 && queueCapacity >= 0)
        workerCount = workers
        self.queueCapacity = queueCapacity
        for index in 0..<workers {
            // The thread keeps the scheduler alive until `shutdown` lets it return: a thread that starts late
            // (a busy machine) must not find its scheduler already gone.
            let thread = Thread { self.workerLoop() }
            thread.name = "argus-worker-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Jobs waiting (not yet running).
    public var queueDepth: Int { condition.lock(); defer { condition.unlock() }; return queue.count - queueHead }
    /// Jobs running now.
    public var runningCount: Int { condition.lock(); defer { condition.unlock() }; return running }

    /// Runs `work` on a worker and returns its result; throws 503 when the queue is full and 504
    /// when `deadline` (a `MonotonicClock` time) passes first. `cancelled` is polled while waiting: once it
    /// is true (the client went away) a job still queued is dropped and a running one's result discarded (499).
    /// The work itself can still finish after a 504 or 499, but its result is dropped.
    public func run<T>(deadline: UInt64, cancelled: () -> Bool = { false }, _ work: @escaping () throws -> T) throws -> T {
        let job = Job(deadline: deadline) { try work() as Any }
        condition.lock()
        if stopping {
            condition.unlock()
            throw APIError(status: 503, code: "shutting_down", "the server is shutting down")
        }
        // Admit while jobs in the system (waiting + running) stay within workers + queue capacity,
        // so a capacity of 0 still admits work when a worker is idle.
        if queue.count - queueHead >= queueCapacity + max(0, workerCount - running) {
            let retry = retryAfterSecondsLocked()
            condition.unlock()
            throw APIError.overloaded(retryAfterSeconds: retry)
        }
        // A job that would start only after its deadline is refused now rather than after the wait: the jobs
        // ahead of it, spread over the workers, each take about the average job time.
        let ahead = queue.count - queueHead + running - workerCount + 1
        if ahead > 0 {
            let wait = Double(ahead) / Double(workerCount) * averageJobSeconds
            let left = Double(Int64(deadline) - Int64(MonotonicClock.now())) / 1e9
            if wait > left {
                let retry = retryAfterSecondsLocked()
                condition.unlock()
                throw APIError(status: 503, code: "deadline_unreachable",
                               "the work queued ahead needs about \(String(format: "%.2f", wait)) s, more than the \(String(format: "%.2f", max(0, left))) s left before this request's deadline",
                               headers: [("Retry-After", String(retry))])
            }
        }
        queue.append(job)
        condition.signal()
        condition.unlock()

        while true {
            let now = MonotonicClock.now()
            let left = deadline > now ? min(deadline - now, Self.cancelPollNanoseconds) : 0
            if job.done.wait(timeout: .now() + .nanoseconds(Int(left))) == .success { break }
            let expired = MonotonicClock.now() >= deadline
            if !expired && !cancelled() { continue }
            condition.lock()
            let finished = job.state == .finished
            if !finished { job.state = .abandoned }
            condition.unlock()
            if finished { job.done.wait(); break }
            throw expired ? APIError.deadlineExceeded() : APIError.clientClosedRequest()
        }
        switch job.result! {
        case .success(let value): return value as! T
        case .failure(let error): throw error
        }
    }

    /// How often a waiting caller checks whether its client is still there.
    static let cancelPollNanoseconds: UInt64 = 50_000_000

    /// Stops the workers after the jobs already queued.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func retryAfterSecondsLocked() -> Int {
        let waiting = Double(queue.count - queueHead + running) / Double(workerCount)
        return max(1, Int((waiting * averageJobSeconds).rounded(.up)))
    }

    private func workerLoop() {
        while true {
            condition.lock()
            while queue.count == queueHead && !stopping { condition.wait() }
            if queue.count == queueHead && stopping { condition.unlock(); return }
            // The slot lets go of the job at once: its closure holds the model, which an unload must free.
            let slot = queue[queueHead]
            queue[queueHead] = nil
            queueHead += 1
            if queueHead > 64 && queueHead * 2 > queue.count {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            guard let job = slot else { condition.unlock(); continue }
            // Skip work nobody waits for any more.
            if job.state == .abandoned || MonotonicClock.now() >= job.deadline {
                job.state = .abandoned
                condition.unlock()
                continue
            }
            job.state = .running
            running += 1
            condition.unlock()

            let start = MonotonicClock.now()
            let result = Result { try job.work() }
            let seconds = Double(MonotonicClock.now() - start) / 1e9

            condition.lock()
            running -= 1
            averageJobSeconds = 0.8 * averageJobSeconds + 0.2 * seconds
            job.result = result
            if job.state == .running { job.state = .finished }
            condition.unlock()
            job.done.signal()
        }
    }
}

/// One queued unit of work and its outcome.
private final class Job {
    enum State { case queued, running, finished, abandoned }
    let deadline: UInt64
    let work: () throws -> Any
    var state = State.queued
    var result: Result<Any, Error>?
    let done = DispatchSemaphore(value: 0)

    init(deadline: UInt64, work: @escaping () throws -> Any) {
        self.deadline = deadline
        self.work = work
    }
}
