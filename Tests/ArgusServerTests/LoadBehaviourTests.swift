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
        let responses = runInParallel(3) { _ in try? server.post("/detect", contentType: "image/png", body: png) }
        // The first runs past its deadline (504); the two behind it could only start after theirs, 0.6 s of work
        // ahead against 0.3 s, so they are refused at once (503) instead of waiting to expire.
        XCTAssertEqual(responses.map { $0?.status ?? -1 }.sorted(), [503, 503, 504])
        XCTAssertEqual(responses.compactMap { $0?.errorCode }.sorted(), ["deadline_exceeded", "deadline_unreachable", "deadline_unreachable"])
        Thread.sleep(forTimeInterval: 0.8)
        // Only the job that had started ran.
        XCTAssertEqual(slow.calls - callsBefore, 1)
        let r = try server.post("/detect", contentType: "image/png", body: png)
        XCTAssertEqual(r.status, 504)
        XCTAssertEqual(r.errorCode, "deadline_exceeded")
    }

    /// A client's own deadline (X-Request-Timeout or `timeout`, whichever is sooner, never past the server's):
    /// a request that cannot start in time is answered 503 at once; one that can waits its turn.
    func testClientDeadline() throws {
        let slow = FakeDetector(delaySeconds: 0.8)
        let server = try ServerHarness(models: [slow]) { config in
            config.workers = 1
            config.queueCapacity = 4
        }
        let png = TestInputs.png(width: 16, height: 16)
        let busy = DispatchSemaphore(value: 0)
        var first: RawResponse?
        let callsBefore = slow.calls
        Thread.detachNewThread {
            first = try? server.post("/detect", contentType: "image/png", body: png)
            busy.signal()
        }
        // Until the first request is running (however slow the machine).
        let limit = Date(timeIntervalSinceNow: 10)
        while slow.calls == callsBefore && Date() < limit { Thread.sleep(forTimeInterval: 0.005) }
        let started = Date()
        let hurried = try server.post("/detect", contentType: "image/png", body: png, headers: [("X-Request-Timeout", "0.1")])
        XCTAssertEqual(hurried.status, 503, hurried.text)
        XCTAssertEqual(hurried.errorCode, "deadline_unreachable")
        XCTAssertNotNil(hurried.header("retry-after"))
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.5, "refused without waiting for the running job")
        let parameter = try server.postMultipart("/detect", fields: [("timeout", "0.1")], images: [png])
        XCTAssertEqual(parameter.errorCode, "deadline_unreachable", parameter.text)
        let patient = try server.post("/detect", contentType: "image/png", body: png, headers: [("X-Request-Timeout", "20")])
        XCTAssertEqual(patient.status, 200, patient.text)
        busy.wait()
        XCTAssertEqual(first?.status, 200)
        for bad in ["0", "-1", "soon", "nan"] {
            let r = try server.post("/detect", contentType: "image/png", body: png, headers: [("X-Request-Timeout", bad)])
            XCTAssertEqual(r.status, 400, bad)
            XCTAssertEqual(r.errorCode, "invalid_parameter", bad)
        }
        XCTAssertEqual(try server.postMultipart("/detect", fields: [("timeout", "0")], images: [png]).status, 400)
        // A malformed timeout is reported before any limit: two images on DeepStack's one-image route, and an
        // inference protocol request over the image limit, are still a 400 for it.
        let twoImages = TestInputs.multipart(fields: [], files: [("image", "a.png", "image/png", png), ("image", "b.png", "image/png", png)])
        let deepStack = try server.post("/v1/vision/detection", contentType: twoImages.contentType, body: twoImages.body,
                                        headers: [("X-Request-Timeout", "soon")])
        XCTAssertEqual(deepStack.status, 400, deepStack.text)
        let manyImages = #"{"inputs":[{"name":"image","datatype":"BYTES","shape":[1000],"data":[]}]}"#
        let inference = try server.post("/v2/models/fake/infer", contentType: "application/json", body: Array(manyImages.utf8),
                                        headers: [("X-Request-Timeout", "soon")])
        XCTAssertEqual(inference.status, 400, inference.text)
    }
}
