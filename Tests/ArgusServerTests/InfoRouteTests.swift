import ArgusModels
import ArgusServer
import XCTest
import ArgusJSON
import ArgusPipeline
import ArgusTestSupport

/// /models, /healthz, /readyz, /metrics, /openapi.json and the DeepStack-compatible route.
final class InfoRouteTests: XCTestCase {
    /// The explorer page: served at / without a key, self-contained (no script, style or image from elsewhere).
    func testExplorerPage() throws {
        let server = try ServerHarness { c in c.apiKeys = try! APIKeys(["k"]) }
        let r = try server.get("/")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.header("content-type"), "text/html; charset=utf-8")
        XCTAssertEqual(r.body, ExplorerPage.bytes)
        XCTAssertTrue(r.text.contains("<title>Argus explorer</title>"))
        for external in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "@import", "url(http"] {
            XCTAssertFalse(r.text.contains(external), external)
        }
        // The page calls the API relative to itself, so it works behind a path prefix too.
        XCTAssertTrue(r.text.contains("fetch(\"models\""))
        XCTAssertFalse(r.text.contains("fetch(\"/"))
    }

    func testModelsHealthReadyMetricsAndOpenAPI() throws {
        let server = try ServerHarness(models: [FakeDetector(name: "a"), FakeDetector(name: "b", classNames: ["cat"])])
        let models = try server.get("/models")
        XCTAssertEqual(models.status, 200)
        let list = models.object["models"] as! [[String: Any]]
        XCTAssertEqual(list.map { $0["name"] as! String }, ["a", "b"])
        XCTAssertEqual(list.map { $0["default"] as! Bool }, [true, false])
        XCTAssertEqual(list[0]["family"] as? String, "fake")
        XCTAssertEqual(list[0]["task"] as? String, "detect")
        XCTAssertEqual(list[0]["classes"] as? [String], FakeDetector.classNames)
        XCTAssertEqual(list[1]["classes"] as? [String], ["cat"])
        XCTAssertEqual(list[0]["input_size"] as? Int, 640)
        let defaults = list[0]["defaults"] as! [String: Any]
        XCTAssertEqual(defaults["conf"] as? Double, 0.25)
        XCTAssertEqual(defaults["iou"] as? Double, 0.45)
        XCTAssertEqual(defaults["max_det"] as? Int, 300)
        XCTAssertEqual(defaults["imgsz"] as? Int, 640)

        XCTAssertEqual(try server.get("/healthz").status, 200)
        XCTAssertEqual(try server.get("/readyz").status, 200)
        let head = try RawHTTPClient.request(port: server.port, method: "HEAD", path: "/healthz")
        XCTAssertEqual(head.status, 200)
        XCTAssertTrue(head.body.isEmpty)

        _ = try server.post("/detect", contentType: "image/png", body: TestInputs.png())
        _ = try server.get("/nowhere/\(UUID())")
        let metrics = try server.get("/metrics")
        XCTAssertEqual(metrics.status, 200)
        XCTAssertTrue(metrics.header("content-type")!.hasPrefix("text/plain; version=0.0.4"))
        let text = metrics.text
        XCTAssertTrue(text.contains("argus_http_requests_total{route=\"/detect\",status=\"200\"} 1\n"), text)
        XCTAssertTrue(text.contains("argus_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"), text)
        for stage in ["decode", "preprocess", "inference", "postprocess"] {
            XCTAssertTrue(text.contains("argus_stage_duration_seconds_count{stage=\"\(stage)\"} 1\n"), stage)
        }
        // The fake reports 2 ms of inference: it falls in the 2.5 ms bucket, not the 1 ms one.
        XCTAssertTrue(text.contains("argus_stage_duration_seconds_bucket{stage=\"inference\",le=\"0.001\"} 0\n"))
        XCTAssertTrue(text.contains("argus_stage_duration_seconds_bucket{stage=\"inference\",le=\"0.0025\"} 1\n"))
        XCTAssertTrue(text.contains("argus_queue_depth 0\n"))
        XCTAssertTrue(text.contains("argus_http_requests_in_flight 1\n"))  // the /metrics request itself
        let rss = text.split(separator: "\n").first { $0.hasPrefix("process_resident_memory_bytes ") }
        XCTAssertGreaterThan(Int(rss!.split(separator: " ")[1]) ?? 0, 1_000_000)

        let openapi = try server.get("/openapi.json")
        XCTAssertEqual(openapi.status, 200)
        XCTAssertEqual(openapi.object["openapi"] as? String, "3.1.0")
    }

    func testOpenAPIServedMatchesRepositoryFileAndCoversEveryRoute() throws {
        let server = try ServerHarness()
        let response = try server.get("/openapi.json")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("content-type"), "application/json")
        let file = Array(try Data(contentsOf: Repository.url("openapi.json")))
        // Package.swift embeds Sources/ArgusServer/openapi.json, a symlink to the root file: the bytes are the same
        // unless the symlink was replaced by a copy or the build is stale.
        // (XCTAssertTrue, not XCTAssertEqual: a failure should not print two 74 kB arrays.)
        let firstDifference = zip(response.body, file).enumerated().first { $1.0 != $1.1 }?.offset ?? min(response.body.count, file.count)
        XCTAssertTrue(response.body == file && OpenAPIDocument.bytes == file,
                      "GET /openapi.json (\(response.body.count) bytes) is not the repository's openapi.json (\(file.count) bytes) "
                      + "byte for byte, first difference at byte \(firstDifference): Sources/ArgusServer/openapi.json must be a "
                      + "symlink to ../../openapi.json, which Package.swift embeds (.embedInCode); do not replace it by a copy")
        let served = try JSONParser.parse(response.body)
        let paths = served["paths"]
        for (path, method) in [("/detect", "post"), ("/segment", "post"), ("/evaluate", "post"), ("/v1/vision/detection", "post"), ("/v1/vision/custom/list", "post"), ("/v1/vision/custom/{model}", "post"), ("/v2", "get"), ("/v2/health/live", "get"), ("/v2/health/ready", "get"), ("/v2/models/{model}", "get"), ("/v2/models/{model}/ready", "get"), ("/v2/models/{model}/infer", "post"),
                               ("/models", "get"), ("/healthz", "get"), ("/readyz", "get"), ("/metrics", "get"), ("/openapi.json", "get")] {
            XCTAssertNotNil(paths?[path]?[method], "\(method) \(path) is not in openapi.json")
        }
    }

    func testReadyzIs503UntilWarmUpPasses() throws {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.workers = 1
        configuration.accessLog = false
        let service = try ArgusService(registry: try ModelRegistry([FakeDetector(delaySeconds: 0.5)]), configuration: configuration)
        try service.start()
        defer { service.stop() }
        let early = try RawHTTPClient.request(port: service.port, method: "GET", path: "/readyz")
        XCTAssertEqual(early.status, 503)
        XCTAssertEqual(early.errorCode, "not_ready")
        XCTAssertEqual(try RawHTTPClient.request(port: service.port, method: "GET", path: "/healthz").status, 200)
        XCTAssertTrue(service.waitUntilReady(timeout: 10))
        XCTAssertEqual(try RawHTTPClient.request(port: service.port, method: "GET", path: "/readyz").status, 200)
    }

    func testDeepStackShape() throws {
        let server = try ServerHarness()
        let model = FakeDetector()
        let png = TestInputs.png(width: 101, height: 77, red: 37)
        let form = TestInputs.multipart(fields: [("min_confidence", "0.3"), ("api_key", "ignored")],
                                        files: [("image", "frame.png", "image/png", png)])
        let r = try server.post("/v1/vision/detection", contentType: form.contentType, body: form.body)
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.object["success"] as? Bool, true)
        XCTAssertNotNil(r.object["inferenceMs"] as? Int)
        XCTAssertNotNil(r.object["processMs"] as? Int)
        let predictions = r.object["predictions"] as! [[String: Any]]
        let expected = model.expected(decoded(png), options: DetectOptions(confidence: 0.3))
        XCTAssertEqual(predictions.count, expected.count)
        XCTAssertEqual(predictions.map { $0["confidence"] as! Double }, predictions.map { $0["confidence"] as! Double }.sorted(by: >))
        // Integers in the raw text (no decimal point in any coordinate).
        for key in ["x_min", "y_min", "x_max", "y_max"] {
            XCTAssertNil(r.text.range(of: "\"\(key)\":[0-9]+\\.", options: .regularExpression), key)
        }
        for (p, e) in zip(predictions, expected) {
            XCTAssertEqual(p["label"] as? String, e.label)
            XCTAssertEqual((p["confidence"] as? Double).map(Float.init), e.score)
            XCTAssertEqual(p["x_min"] as? Int, Int(e.box.x1.rounded()))
            XCTAssertEqual(p["y_min"] as? Int, Int(e.box.y1.rounded()))
            XCTAssertEqual(p["x_max"] as? Int, Int(e.box.x2.rounded()))
            XCTAssertEqual(p["y_max"] as? Int, Int(e.box.y2.rounded()))
        }
        // Default min_confidence is 0.4.
        let plain = try server.postMultipart("/v1/vision/detection", images: [png])
        XCTAssertEqual((plain.object["predictions"] as! [[String: Any]]).count,
                       model.expected(decoded(png), options: DetectOptions(confidence: 0.4)).count)
        // Errors keep DeepStack's shape with a real status.
        let bad = try server.post("/v1/vision/detection", contentType: "image/png", body: Array("junk".utf8))
        XCTAssertEqual(bad.status, 422)
        XCTAssertEqual(bad.object["success"] as? Bool, false)
        XCTAssertNotNil(bad.object["error"] as? String)
        let range = try server.postMultipart("/v1/vision/detection", fields: [("min_confidence", "2")], images: [png])
        XCTAssertEqual(range.status, 400)
        XCTAssertEqual(range.object["success"] as? Bool, false)
    }
}
