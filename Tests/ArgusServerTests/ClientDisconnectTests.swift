import ArgusPipeline
import ArgusServer
import Foundation
import XCTest

/// A client that goes away while its request waits: the work is dropped instead of run for nobody.
final class ClientDisconnectTests: XCTestCase {
    func testAQueuedRequestWhoseClientLeftIsNeverRun() throws {
        let detector = FakeDetector(delaySeconds: 1.0)
        let server = try ServerHarness(models: [detector]) { config in
            config.workers = 1
            config.queueCapacity = 4
        }
        let before = detector.calls
        let image = TestInputs.png(width: 16, height: 16)
        final class Outcome: @unchecked Sendable { var status = 0; let done = DispatchSemaphore(value: 0) }
        let busy = Outcome()
        Thread {
            busy.status = (try? server.post("/detect", contentType: "image/png", body: image))?.status ?? -1
            busy.done.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.3)  // the first request holds the only worker for a second
        let head = "POST /detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: \(image.count)\r\n\r\n"
        try RawHTTPClient.sendAndClose(port: server.port, bytes: Array(head.utf8) + image)
        // Long enough for the first job to end and for the second (were it still queued) to start.
        Thread.sleep(forTimeInterval: 1.5)
        XCTAssertEqual(busy.done.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(busy.status, 200)
        XCTAssertEqual(detector.calls - before, 1, "the request of the client that left was run")
        let next = try server.post("/detect", contentType: "image/png", body: image)
        XCTAssertEqual(next.status, 200)
        XCTAssertEqual(detector.calls - before, 2)
    }
}
