import ArgusModels
import ArgusPipeline
@testable import ArgusServer
import XCTest

/// The requests DeepStack / CodeProject.AI clients send, as their code sends them, and what they read back.
final class DeepStackClientTests: XCTestCase {
    /// Frigate's deepstack detector: a 320x320 JPEG in the `image` field (plus `api_key` when configured), nothing
    /// else; it reads predictions in order and stops at the first below 0.4 or with a label outside its COCO map.
    func testFrigate() throws {
        let server = try ServerHarness()
        let jpeg = TestInputs.jpeg(width: 320, height: 320, red: 90)
        let r = try server.postMultipart("/v1/vision/detection", images: [jpeg])
        XCTAssertEqual(r.status, 200, r.text)
        let predictions = try XCTUnwrap(r.object["predictions"] as? [[String: Any]])
        let expected = FakeDetector().expected(decoded(jpeg), options: DetectOptions(confidence: 0.4))
        XCTAssertFalse(expected.isEmpty)
        XCTAssertEqual(predictions.map { $0["label"] as? String }, expected.map(\.label))
        let scores = predictions.compactMap { $0["confidence"] as? Double }
        XCTAssertEqual(scores, scores.sorted(by: >))
        XCTAssertTrue(scores.allSatisfy { $0 >= 0.4 })
        XCTAssertEqual(r.object["count"] as? Int, predictions.count)
        XCTAssertEqual(r.object["code"] as? Int, 200)
    }

    /// Home Assistant's deepstack integration sends `min_confidence=0.1`.
    func testHomeAssistant() throws {
        let server = try ServerHarness()
        let png = TestInputs.png(width: 200, height: 150, red: 10)
        let r = try server.postMultipart("/v1/vision/detection", fields: [("min_confidence", "0.1")], images: [png])
        XCTAssertEqual(r.status, 200, r.text)
        let all = FakeDetector().expected(decoded(png), options: DetectOptions(confidence: 0.1))
        XCTAssertEqual((r.object["predictions"] as? [[String: Any]])?.count, all.count)
        XCTAssertGreaterThan(all.count, FakeDetector().expected(decoded(png), options: DetectOptions(confidence: 0.4)).count)
    }

    /// Blue Iris / CodeProject.AI custom models: list them, then detect with one by name.
    func testBlueIrisCustomModels() throws {
        let server = try ServerHarness(models: [FakeDetector(name: "ipcam-general"), FakeDetector(name: "ipcam-dark", classNames: ["a", "b", "c", "d"])])
        let list = try server.post("/v1/vision/custom/list", contentType: nil, body: [])
        XCTAssertEqual(list.status, 200, list.text)
        XCTAssertEqual(list.object["success"] as? Bool, true)
        XCTAssertEqual(list.object["models"] as? [String], ["ipcam-general", "ipcam-dark"])

        let png = TestInputs.png(width: 90, height: 60, red: 200)
        let form = TestInputs.multipart(fields: [("min_confidence", "0.3"), ("api_key", "")],
                                        files: [("image", "snap.png", "image/png", png)])
        let custom = try server.post("/v1/vision/custom/ipcam-dark", contentType: form.contentType, body: form.body)
        XCTAssertEqual(custom.status, 200, custom.text)
        XCTAssertEqual(custom.object["model"] as? String, "ipcam-dark")
        XCTAssertEqual(custom.object["command"] as? String, "custom")
        let labels = (custom.object["predictions"] as? [[String: Any]])?.compactMap { $0["label"] as? String }
        XCTAssertEqual(labels, FakeDetector(classNames: ["a", "b", "c", "d"]).expected(decoded(png), options: DetectOptions(confidence: 0.3)).map(\.label))
        // The same model through the plain route with a `model` field answers the same predictions.
        let plain = try server.postMultipart("/v1/vision/detection", fields: [("min_confidence", "0.3"), ("model", "ipcam-dark")], images: [png])
        XCTAssertEqual(plain.object["predictions"] as? [[String: Double]] ?? [], custom.object["predictions"] as? [[String: Double]] ?? [])
        XCTAssertEqual((plain.object["predictions"] as? [Any])?.count, labels?.count)

        let unknown = try server.postMultipart("/v1/vision/custom/no-such-model", images: [png])
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual(unknown.object["success"] as? Bool, false)
        XCTAssertTrue((unknown.object["error"] as? String ?? "").contains("ipcam-general"), unknown.text)
        let conflicting = try server.postMultipart("/v1/vision/custom/ipcam-dark", fields: [("model", "ipcam-general")], images: [png])
        XCTAssertEqual(conflicting.status, 400)
        XCTAssertEqual(conflicting.object["success"] as? Bool, false)
        let nested = try server.postMultipart("/v1/vision/custom/ipcam-dark/extra", images: [png])
        XCTAssertEqual(nested.status, 404)
        XCTAssertEqual(nested.object["success"] as? Bool, false, "DeepStack's shape for any /v1/vision/ path")
        XCTAssertEqual(try server.get("/v1/vision/custom/list").status, 405)
    }

    func testMetricsLabelForCustomRoutes() throws {
        let server = try ServerHarness()
        _ = try server.postMultipart("/v1/vision/custom/fake", images: [TestInputs.png()])
        let metrics = try server.get("/metrics").text
        XCTAssertTrue(metrics.contains("route=\"/v1/vision/custom/{model}\""), metrics)
        XCTAssertFalse(metrics.contains("route=\"/v1/vision/custom/fake\""))
    }
}

/// `--api-key`: every route but the probes needs a key, presented any of the ways clients send one.
final class APIKeyTests: XCTestCase {
    static let keys = ["first-key-0123456789", "rotated-key-abcdef"]

    func keyedServer(protectMetrics: Bool = false) throws -> ServerHarness {
        try ServerHarness { configuration in
            configuration.apiKeys = try! APIKeys(Self.keys)
            configuration.protectMetrics = protectMetrics
        }
    }

    /// Every route of the route table, with a body it accepts.
    func requests() -> [(method: String, path: String, contentType: String?, body: [UInt8])] {
        let form = TestInputs.multipart(fields: [], files: [("image", "a.png", "image/png", TestInputs.png())])
        let gt = #"{"images":[{"id":1,"width":10,"height":10}],"categories":[{"id":1,"name":"a"}],"#
            + #""annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[1,1,4,4],"area":16,"iscrowd":0}]}"#
        let evaluate = Array(#"{"gt":\#(gt),"dt":[{"image_id":1,"category_id":1,"bbox":[1,1,4,4],"score":0.9}]}"#.utf8)
        return [
            ("POST", "/detect", form.contentType, form.body),
            ("POST", "/segment", form.contentType, form.body),
            ("POST", "/evaluate", "application/json", evaluate),
            ("POST", "/v1/vision/detection", form.contentType, form.body),
            ("POST", "/v1/vision/custom/list", nil, []),
            ("POST", "/v1/vision/custom/fake", form.contentType, form.body),
            ("GET", "/models", nil, []),
            ("GET", "/models/fake", nil, []),
            ("GET", "/v2", nil, []),
            ("GET", "/v2/models/fake", nil, []),
            ("POST", "/v2/models/fake/infer", "application/json",
             Array(#"{"inputs":[{"name":"image","datatype":"BYTES","shape":[1],"data":["\#(TestInputs.base64(TestInputs.png()))"]}]}"#.utf8)),
        ]
    }

    func send(_ server: ServerHarness, _ r: (method: String, path: String, contentType: String?, body: [UInt8]),
              headers: [(String, String)] = [], query: String = "") throws -> RawResponse {
        var all = headers
        if let contentType = r.contentType { all.append(("Content-Type", contentType)) }
        return try RawHTTPClient.request(port: server.port, method: r.method, path: r.path + query, headers: all, body: r.body)
    }

    func testEveryRouteNeedsAKey() throws {
        let server = try keyedServer()
        for r in requests() {
            let refused = try send(server, r)
            XCTAssertEqual(refused.status, 401, "\(r.path): \(refused.text)")
            XCTAssertEqual(refused.header("www-authenticate"), "Bearer realm=\"argus\"", r.path)
            if r.path.hasPrefix("/v1/vision/") {
                XCTAssertEqual(refused.object["success"] as? Bool, false, r.path)
            } else if r.path.hasPrefix("/v2") {
                XCTAssertTrue((refused.object["error"] as? String ?? "").contains("API key"), r.path)
            } else {
                XCTAssertEqual(refused.errorCode, "unauthorized", r.path)
            }
            // With a key the route answers as it would without keys configured (/segment refuses the box-only
            // model, with its own 400); every way of presenting the key gives that answer.
            let answer = try send(server, r, headers: [("Authorization", "Bearer \(Self.keys[0])")]).status
            XCTAssertEqual(answer, r.path == "/segment" ? 400 : 200, r.path)
            XCTAssertEqual(try send(server, r, headers: [("Authorization", "bearer  \(Self.keys[1])")]).status, answer, r.path)
            XCTAssertEqual(try send(server, r, headers: [("X-API-Key", Self.keys[1])]).status, answer, r.path)
            XCTAssertEqual(try send(server, r, query: "?api_key=\(Self.keys[0])").status, answer, r.path)
            for wrong in ["first-key-012345678", "first-key-01234567890", "FIRST-KEY-0123456789", "x"] {
                XCTAssertEqual(try send(server, r, headers: [("X-API-Key", wrong)]).status, 401, "\(r.path) \(wrong)")
            }
            XCTAssertEqual(try send(server, r, headers: [("Authorization", "Basic \(Self.keys[0])")]).status, 401, r.path)
        }
        for open in ["/healthz", "/readyz", "/openapi.json", "/metrics", "/v2/health/live", "/v2/health/ready"] {
            XCTAssertEqual(try server.get(open).status, 200, open)
        }
    }

    /// DeepStack clients send the key as a form field next to the image.
    func testFormFieldKey() throws {
        let server = try keyedServer()
        let png = TestInputs.png()
        for (key, status) in [(Self.keys[0], 200), ("wrong", 401)] {
            let r = try server.postMultipart("/v1/vision/detection", fields: [("api_key", key)], images: [png])
            XCTAssertEqual(r.status, status, r.text)
            XCTAssertEqual(r.object["success"] as? Bool, status == 200)
            // /detect accepts the field too (it is not an unknown parameter).
            XCTAssertEqual(try server.postMultipart("/detect", fields: [("api_key", key)], images: [png]).status, status)
        }
    }

    func testProtectedMetrics() throws {
        let server = try keyedServer(protectMetrics: true)
        XCTAssertEqual(try server.get("/metrics").status, 401)
        XCTAssertEqual(try RawHTTPClient.request(port: server.port, method: "GET", path: "/metrics",
                                                 headers: [("X-API-Key", Self.keys[0])]).status, 200)
        XCTAssertEqual(try server.get("/healthz").status, 200)
    }

    func testNoKeysConfiguredLeavesEverythingOpen() throws {
        let server = try ServerHarness()
        XCTAssertEqual(try server.get("/models").status, 200)
        XCTAssertEqual(try server.postMultipart("/detect", fields: [("api_key", "anything")], images: [TestInputs.png()]).status, 200)
    }

    func testKeyValidationAndFiles() throws {
        XCTAssertThrowsError(try APIKeys([""]))
        XCTAssertThrowsError(try APIKeys(["has space"]))
        XCTAssertThrowsError(try APIKeys(["tab\there"]))
        XCTAssertThrowsError(try APIKeys(["é-not-ascii"]))
        let keys = try APIKeys(["abc", "longer-key"])
        XCTAssertTrue(keys.accepts("abc"))
        XCTAssertTrue(keys.accepts("longer-key"))
        for wrong in ["", "ab", "abcabc", "abd", "ABC", "longer-ke", "longer-key-"] { XCTAssertFalse(keys.accepts(wrong), wrong) }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("argus-keys-\(getpid())")
        try "# rotated 2026-12\n\n  key-one  \nkey-two\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        XCTAssertEqual(try APIKeys.read(file: file.path), ["key-one", "key-two"])
        try "# only a comment\n".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try APIKeys.read(file: file.path))
        XCTAssertThrowsError(try APIKeys.read(file: "/nonexistent/argus-keys"))
    }
}
