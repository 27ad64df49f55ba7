import ArgusModels
import ArgusServer
import Foundation
import XCTest
import ArgusPipeline

/// Graceful shutdown: a request already received when the drain starts still gets its answer,
/// and new connections are refused afterwards.
final class DrainTests: XCTestCase {
    func testDrainAnswersTheRequestInFlightThenStops() throws {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.workers = 1
        configuration.accessLog = false
        let service = try ArgusService(registry: try ModelRegistry([FakeDetector(delaySeconds: 0.8)]), configuration: configuration)
        try service.start()
        XCTAssertTrue(service.waitUntilReady(timeout: 10))
        let port = service.port
        let png = TestInputs.png(width: 64, height: 48, red: 90)

        var inFlight: RawResponse?
        var inFlightError: Error?
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do { inFlight = try RawHTTPClient.request(port: port, method: "POST", path: "/detect",
                                                      headers: [("Content-Type", "image/png")], body: png) }
            catch { inFlightError = error }
            done.signal()
        }
        Thread.sleep(forTimeInterval: 0.3)  // the request is on the worker now
        let started = Date()
        service.drain(timeout: 10)
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertNil(inFlightError)
        XCTAssertEqual(inFlight?.status, 200, inFlight?.text ?? "")
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "drain waited for its timeout instead of the response")
        XCTAssertThrowsError(try RawHTTPClient.request(port: port, method: "GET", path: "/healthz"),
                             "the server still accepts connections after draining")
    }
}
