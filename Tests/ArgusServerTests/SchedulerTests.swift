import ArgusServer
import Foundation
import XCTest
import ArgusPipeline

/// The inference scheduler on its own: admission, deadlines, results and errors.
final class SchedulerTests: XCTestCase {
    func testAdmitsWorkersPlusCapacityThenRefuses() throws {
        let scheduler = InferenceScheduler(workers: 2, queueCapacity: 1)
        defer { scheduler.shutdown() }
        let gate = DispatchSemaphore(value: 0)
        let deadline = MonotonicClock.now() + 10_000_000_000
        // Three jobs fill 2 workers + 1 slot; they wait on the gate.
        let results = runInParallel(5) { i -> Int in
            Thread.sleep(forTimeInterval: Double(i) * 0.05)  // arrive in order
            do { return try scheduler.run(deadline: deadline) { gate.wait(); return 200 } } catch let e as APIError { return e.status } catch { return -1 }
        } onStarted: {
            Thread.sleep(forTimeInterval: 0.5)
            for _ in 0..<3 { gate.signal() }
        }
        XCTAssertEqual(results.sorted(), [200, 200, 200, 503, 503])
    }

    func testACancelledQueuedJobIsDroppedUnrun() throws {
        let scheduler = InferenceScheduler(workers: 1, queueCapacity: 2)
        defer { scheduler.shutdown() }
        let gate = DispatchSemaphore(value: 0)
        let deadline = MonotonicClock.now() + 10_000_000_000
        final class Flag: @unchecked Sendable { let lock = NSLock(); var value = false }
        let ran = Flag()
        let results = runInParallel(2) { i -> Int in
            if i == 0 { return (try? scheduler.run(deadline: deadline) { gate.wait(); return 200 }) ?? -1 }
            Thread.sleep(forTimeInterval: 0.1)  // queued behind the first
            let start = MonotonicClock.now()
            do {
                return try scheduler.run(deadline: deadline, cancelled: { MonotonicClock.now() - start > 200_000_000 }) {
                    ran.lock.lock(); ran.value = true; ran.lock.unlock()
                    return 200
                }
            } catch let e as APIError { return e.status } catch { return -1 }
        } onStarted: {
            Thread.sleep(forTimeInterval: 0.6)
            gate.signal()
        }
        Thread.sleep(forTimeInterval: 0.2)  // the worker would have taken the second job by now
        XCTAssertEqual(results, [200, 499])
        ran.lock.lock(); defer { ran.lock.unlock() }
        XCTAssertFalse(ran.value)
    }

    func testZeroCapacityStillRunsOnAnIdleWorker() throws {
        let scheduler = InferenceScheduler(workers: 1, queueCapacity: 0)
        defer { scheduler.shutdown() }
        XCTAssertEqual(try scheduler.run(deadline: MonotonicClock.now() + 5_000_000_000) { 41 + 1 }, 42)
    }

    func testErrorsPropagateAndDeadlinesExpire() {
        let scheduler = InferenceScheduler(workers: 1, queueCapacity: 2)
        defer { scheduler.shutdown() }
        struct Boom: Error {}
        XCTAssertThrowsError(try scheduler.run(deadline: MonotonicClock.now() + 5_000_000_000) { () throws -> Int in throw Boom() }) {
            XCTAssertTrue($0 is Boom)
        }
        XCTAssertThrowsError(try scheduler.run(deadline: MonotonicClock.now() + 50_000_000) { () -> Int in
            Thread.sleep(forTimeInterval: 0.3); return 1
        }) { XCTAssertEqual(($0 as? APIError)?.status, 504) }
    }
}
