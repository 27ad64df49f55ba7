import ArgusModels
import ArgusServer
import XCTest

/// Concurrency, backpressure and deadlines.
final class LoadBehaviourTests: XCTestCase {
    func testConcurrentRequestsMatchSequentialOnes() throws {
        let server = try ServerHarness { config in
            config.workers = 2
            config.queueCapacity = 16
        }
        let bodies = (0..<12).map { TestInputs.png(width: 24 + 8 * $0, height: 40, red: 20 * $0) }
        let sequential = try bodies.map { try server.post("/detect?conf=0.3", contentType: "image/png", body: $0) }
        XCTAssertTrue(sequential.allSatisfy { $0.status == 200 })
        let concurrent = runInParallel(bodies.count) { i in
            try? server.post("/detect?conf=0.3", contentType: "image/png", body: bodies[i])
        }
        for (s, c) in zip(sequential, concurrent) {
            let c = try XCTUnwrap(c)
            XCTAssertEqual(c.status, 200)
            // Same detections and sizes; only the timings may differ.
            XCTAssertEqual(NSDictionary(dictionary: (s.object["images"] as! [[String: Any]])[0]),
                           NSDictionary(dictionary: (c.object["images"] as! [[String: Any]])[0]))
        }
    }

    func testFullQueueAnswers503WithRetryAfter() throws {
        // One worker, one queue slot, 300 ms per inference: of 6 simultaneous requests, 2 are admitted.
        let server = try ServerHarness(models: [FakeDetector(delaySeconds: 0.3)]) { config in
            config.workers = 1
            config.queueCapacity = 1
        }
        let png = TestInputs.png(width: 16, height: 16)
        let responses = runInParallel(6) { _ in try? server.post("/detect", contentType: "image/png", body: png) }
        let statuses = responses.map { $0?.status ?? -1 }
        let retryAfter = responses.map { $0?.header("retry-after") }
        XCTAssertEqual(statuses.filter { $0 == 200 }.count, 2, "\(statuses)")
        XCTAssertEqual(statuses.filter { $0 == 503 }.count, 4, "\(statuses)")
        for (status, retry) in zip(statuses, retryAfter) where status == 503 {
            XCTAssertGreaterThanOrEqual(Int(retry ?? "") ?? 0, 1)
        }
        XCTAssertEqual(try server.post("/detect", contentType: "image/png", body: png).status, 200)
    }

    func testDeadlineAnswers504AndSkipsQueuedWork() throws {
        let slow = FakeDetector(delaySeconds: 0.6)
        let server = try ServerHarness(models: [slow]) { config in
            config.workers = 1
            config.queueCapacity = 4
            config.requestDeadlineSeconds = 0.3
        }
        let callsBefore = slow.calls
        let png = TestInputs.png(width: 16, height: 16)
        let statuses = runInParallel(3) { _ in (try? server.post("/detect", contentType: "image/png", body: png))?.status ?? -1 }
        XCTAssertEqual(statuses, [504, 504, 504])
        Thread.sleep(forTimeInterval: 0.8)
        // Only the job that had started ran; the two that expired in the queue were dropped.
        XCTAssertEqual(slow.calls - callsBefore, 1)
        let r = try server.post("/detect", contentType: "image/png", body: png)
        XCTAssertEqual(r.status, 504)
        XCTAssertEqual(r.errorCode, "deadline_exceeded")
    }
}
