import Foundation

/// Lock-protected results of `runInParallel`.
private final class ParallelResults<T>: @unchecked Sendable {
    let lock = NSLock()
    var values: [Int: T] = [:]
}

/// Runs `body(i)` for i in 0..<count, each on its own thread, all at once; returns the results in order.
func runInParallel<T>(_ count: Int, _ body: @escaping (Int) -> T, onStarted: () -> Void = {}) -> [T] {
    let results = ParallelResults<T>()
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        let work = { let v = body(i); results.lock.lock(); results.values[i] = v; results.lock.unlock(); group.leave() }
        let thread = Thread(block: unsafeBitCast(work, to: (@Sendable () -> Void).self))
        thread.start()
    }
    onStarted()
    group.wait()
    return (0..<count).map { results.values[$0]! }
}
