import ArgusModels
import ArgusPipeline
@testable import ArgusServer
import ArgusTestSupport
import XCTest

/// Models loaded, replaced and unloaded while the server answers: POST /models, DELETE /models/{name}, --watch.
final class ModelManagementTests: XCTestCase {
    static let admin = [("X-API-Key", "admin-secret")]

    /// A loader over fake references: "fake:LABELS[:DELAY]" is a FakeDetector whose classes are LABELS with a
    /// suffix (so answers tell which load served them), anything else is not found.
    final class FakeLoader: @unchecked Sendable {
        private let lock = NSLock()
        private var loaded: [WeakDetector] = []

        struct WeakDetector { weak var detector: FakeDetector? }

        func load(_ reference: String, name: String?) throws -> LoadedModel {
            let parts = reference.split(separator: ":").map(String.init)
            guard parts.count >= 2, parts[0] == "fake" else { throw ModelSourceError.notFound(reference, "no such fake") }
            if parts[1] == "broken" { throw ModelSourceError.unloadable(reference, "not a checkpoint") }
            let delay = parts.count > 2 ? Double(parts[2]) ?? 0 : 0
            let detector = FakeDetector(name: name ?? parts[1], delaySeconds: delay,
                                        classNames: FakeDetector.classNames.map { "\($0)-\(parts[1])" })
            lock.lock(); loaded.append(WeakDetector(detector: detector)); lock.unlock()
            return .detector(detector)
        }

        /// How many of the loaded detectors are still alive.
        var alive: Int { lock.lock(); defer { lock.unlock() }; return loaded.filter { $0.detector != nil }.count }

        var closure: ArgusService.ModelLoading { { [self] in try load($0, name: $1) } }
    }

    private func managedServer(_ loader: FakeLoader, models: [any Detector] = [FakeDetector(name: "base")],
                               apiKeys: [String] = []) throws -> ServerHarness {
        try ServerHarness(models: models, loader: loader.closure) { c in
            c.adminKeys = try! APIKeys(["admin-secret"])
            c.apiKeys = try! APIKeys(apiKeys)
            c.workers = 2
            c.queueCapacity = 64
        }
    }

    private func load(_ server: ServerHarness, _ body: String, headers: [(String, String)] = admin) throws -> RawResponse {
        try server.post("/models", contentType: "application/json", body: Array(body.utf8), headers: headers)
    }

    private func labels(_ response: RawResponse) -> [String] {
        let images = response.object["images"] as? [[String: Any]] ?? []
        return images.flatMap { ($0["detections"] as? [[String: Any]] ?? []).compactMap { $0["label"] as? String } }
    }

    func testManagementIsClosedWithoutAnAdminKey() throws {
        let server = try ServerHarness(loader: FakeLoader().closure)
        let r = try server.post("/models", contentType: "application/json", body: Array(#"{"weights": "fake:x"}"#.utf8))
        XCTAssertEqual(r.status, 403, r.text)
        XCTAssertEqual((r.object["error"] as? [String: Any])?["code"] as? String, "model_management_disabled")
        XCTAssertEqual(try server.delete("/models/fake").status, 403)
        XCTAssertEqual(try server.get("/models").status, 200)
    }

    func testAdminAndAPIKeys() throws {
        let server = try managedServer(FakeLoader(), apiKeys: ["user-key"])
        XCTAssertEqual(try load(server, #"{"weights": "fake:x"}"#, headers: []).status, 401)
        let user = try load(server, #"{"weights": "fake:x"}"#, headers: [("X-API-Key", "user-key")])
        XCTAssertEqual(user.status, 403, user.text)
        XCTAssertEqual(try load(server, #"{"weights": "fake:x"}"#, headers: [("X-API-Key", "wrong")]).status, 401)
        XCTAssertEqual(try load(server, #"{"weights": "fake:x"}"#, headers: [("Authorization", "Bearer admin-secret")]).status, 201)
        XCTAssertEqual(try server.delete("/models/x", headers: [("X-API-Key", "user-key")]).status, 403)
        // The admin key passes where an API key is needed; the API key keeps working there.
        let png = TestInputs.png(width: 40, height: 30)
        let form = TestInputs.multipart(fields: [("model", "x")], files: [("image", "a.png", "image/png", png)])
        for key in ["admin-secret", "user-key"] {
            XCTAssertEqual(try server.post("/detect", contentType: form.contentType, body: form.body, headers: [("X-API-Key", key)]).status, 200)
        }
        XCTAssertEqual(try server.post("/detect", contentType: form.contentType, body: form.body).status, 401)
    }

    func testLoadReplaceUnloadAnswers() throws {
        let loader = FakeLoader()
        let server = try managedServer(loader)
        let png = TestInputs.png(width: 64, height: 48, red: 50)

        let added = try load(server, #"{"weights": "fake:v1", "name": "cam"}"#)
        XCTAssertEqual(added.status, 201, added.text)
        XCTAssertEqual(added.object["name"] as? String, "cam")
        XCTAssertEqual(added.object["replaced"] as? Bool, false)
        XCTAssertEqual(added.object["default"] as? Bool, false)
        XCTAssertEqual((try server.get("/models").object["models"] as? [[String: Any]])?.compactMap { $0["name"] as? String }, ["base", "cam"])
        XCTAssertEqual(try server.get("/models/cam").object["classes"] as? [String], FakeDetector.classNames.map { "\($0)-v1" })
        let v1 = try server.postMultipart("/detect", fields: [("model", "cam")], images: [png])
        XCTAssertTrue(!labels(v1).isEmpty && labels(v1).allSatisfy { $0.hasSuffix("-v1") }, v1.text)
        // The other routes see it too.
        let custom = try server.postMultipart("/v1/vision/custom/cam", images: [png])
        XCTAssertEqual(custom.status, 200, custom.text)
        XCTAssertEqual(try server.get("/v2/models/cam/ready").status, 200)

        let replaced = try load(server, #"{"weights": "fake:v2", "name": "cam"}"#)
        XCTAssertEqual(replaced.status, 200, replaced.text)
        XCTAssertEqual(replaced.object["replaced"] as? Bool, true)
        let v2 = try server.postMultipart("/detect", fields: [("model", "cam")], images: [png])
        XCTAssertTrue(!labels(v2).isEmpty && labels(v2).allSatisfy { $0.hasSuffix("-v2") }, v2.text)
        XCTAssertEqual(loader.alive, 1, "the replaced model is released when the answer comes")

        let removed = try server.delete("/models/cam", headers: Self.admin)
        XCTAssertEqual(removed.status, 200, removed.text)
        XCTAssertEqual(removed.object["status"] as? String, "unloaded")
        XCTAssertEqual(loader.alive, 0)
        XCTAssertEqual(try server.postMultipart("/detect", fields: [("model", "cam")], images: [png]).status, 404)
        XCTAssertEqual(try server.get("/models/cam").status, 404)
        XCTAssertEqual(try server.delete("/models/cam", headers: Self.admin).status, 404)

        // Replacing the default keeps it the default.
        XCTAssertEqual(try load(server, #"{"weights": "fake:v3", "name": "base"}"#).status, 200)
        let plain = try server.postMultipart("/detect", images: [png])
        XCTAssertEqual(plain.object["model"] as? String, "base")
        XCTAssertTrue(labels(plain).allSatisfy { $0.hasSuffix("-v3") }, plain.text)
    }

    func testBadManagementRequests() throws {
        let server = try managedServer(FakeLoader())
        func code(_ r: RawResponse) -> String? { (r.object["error"] as? [String: Any])?["code"] as? String }
        for (body, status) in [("{", 400), ("[]", 400), ("{}", 400), (#"{"weights": 3}"#, 400), (#"{"weights": ""}"#, 400),
                               (#"{"weights": "fake:a", "name": "a/b"}"#, 400), (#"{"weights": "fake:a", "name": ""}"#, 400),
                               (#"{"weights": "fake:a", "colour": "red"}"#, 400), (#"{"weights": "fake:a", "name": ".."}"#, 400)] {
            let r = try load(server, body)
            XCTAssertEqual(r.status, status, body + " -> " + r.text)
            XCTAssertNotNil(code(r), r.text)
        }
        XCTAssertEqual(try server.post("/models", contentType: "application/json", body: [], headers: Self.admin).status, 400)
        // curl -d sends application/x-www-form-urlencoded: the body is JSON all the same.
        XCTAssertEqual(try server.post("/models", contentType: "application/x-www-form-urlencoded", body: Array(#"{"weights": "fake:form"}"#.utf8), headers: Self.admin).status, 201)
        let missing = try load(server, #"{"weights": "/nowhere/model.pt"}"#)
        XCTAssertEqual(missing.status, 404, missing.text)
        XCTAssertEqual(code(missing), "weights_not_found")
        let broken = try load(server, #"{"weights": "fake:broken"}"#)
        XCTAssertEqual(broken.status, 422, broken.text)
        XCTAssertEqual(code(broken), "model_load_failed")
        XCTAssertEqual(try server.post("/models?colour=red", contentType: "application/json", body: Array(#"{"weights": "fake:a"}"#.utf8), headers: Self.admin).status, 400)
        XCTAssertEqual(try server.delete("/models/base?timeout=soon", headers: Self.admin).status, 400)
        XCTAssertEqual(try server.get("/models").status, 200)
        XCTAssertEqual((try server.get("/models").object["models"] as? [[String: Any]])?.compactMap { $0["name"] as? String }, ["base", "form"],
                       "no failed load changed the models")
    }

    /// An unload waits for the requests using the model, which finish normally; then its memory is released.
    func testUnloadWaitsForRequestsInFlight() throws {
        let loader = FakeLoader()
        let server = try managedServer(loader)
        XCTAssertEqual(try load(server, #"{"weights": "fake:slow:0.8"}"#).status, 201)
        let png = TestInputs.png(width: 32, height: 32)
        var removal: RawResponse?
        let answers = runInParallel(3) { i -> Int in
            if i == 2 {
                Thread.sleep(forTimeInterval: 0.3)
                removal = try? server.delete("/models/slow", headers: Self.admin)
                return removal?.status ?? -1
            }
            return (try? server.postMultipart("/detect", fields: [("model", "slow")], images: [png]).status) ?? -1
        }
        XCTAssertEqual(answers, [200, 200, 200], removal?.text ?? "")
        XCTAssertEqual(removal?.object["status"] as? String, "unloaded")
        XCTAssertEqual(loader.alive, 0)
    }

    /// The issue's cycle: clients keep detecting with a model that is replaced over and over, and with one that
    /// is loaded and unloaded beside it; no request fails, and every answer comes from one whole model.
    func testLoadUseUnloadReplaceUnderConcurrentRequests() throws {
        let loader = FakeLoader()
        let server = try managedServer(loader)
        XCTAssertEqual(try load(server, #"{"weights": "fake:g0:0.002", "name": "cam"}"#).status, 201)
        let png = TestInputs.png(width: 48, height: 40, red: 120)
        let stop = NSCondition()
        var stopping = false
        let clients = 6
        var failures: [String] = []
        var served = 0
        let results = runInParallel(clients + 1) { i -> [String] in
            if i == clients {
                // The admin: replace `cam` over and over, load and unload `extra` between.
                var problems: [String] = []
                for generation in 1...20 {
                    let r = try? self.load(server, "{\"weights\": \"fake:g\(generation):0.002\", \"name\": \"cam\"}")
                    if r?.status != 200 { problems.append("replace \(generation): \(r?.text ?? "no answer")") }
                    let extra = try? self.load(server, "{\"weights\": \"fake:e\(generation)\", \"name\": \"extra\"}")
                    if extra?.status != 201 { problems.append("load extra: \(extra?.text ?? "no answer")") }
                    let gone = try? server.delete("/models/extra", headers: Self.admin)
                    if gone?.status != 200 { problems.append("unload extra: \(gone?.text ?? "no answer")") }
                }
                stop.lock(); stopping = true; stop.unlock()
                return problems
            }
            var problems: [String] = []
            while true {
                stop.lock(); let done = stopping; stop.unlock()
                if done { break }
                let model = i % 2 == 0 ? "cam" : "base"
                guard let r = try? server.postMultipart("/detect", fields: [("model", model)], images: [png]) else {
                    problems.append("no answer"); continue
                }
                let got = self.labels(r)
                let suffixes = Set(got.map { $0.split(separator: "-").last.map(String.init) ?? "" })
                if r.status != 200 || got.isEmpty { problems.append("\(r.status) \(r.text)") }
                else if model == "cam" && suffixes.count != 1 { problems.append("mixed answer \(got)") }
                stop.lock(); served += 1; stop.unlock()
            }
            return problems
        }
        failures = results.flatMap { $0 }
        XCTAssertEqual(failures, [])
        XCTAssertGreaterThan(served, 20)
        XCTAssertEqual(loader.alive, 1, "only the last `cam` is alive")
        XCTAssertEqual((try server.get("/models").object["models"] as? [[String: Any]])?.compactMap { $0["name"] as? String }, ["base", "cam"])
    }

    /// A server with keys for management may start with no model; /readyz says so until one is loaded.
    func testStartsEmptyWithManagement() throws {
        let server = try ServerHarness(models: [], loader: FakeLoader().closure) { c in c.adminKeys = try! APIKeys(["admin-secret"]) }
        let empty = try server.get("/readyz")
        XCTAssertEqual(empty.status, 503, empty.text)
        let none = try server.postMultipart("/detect", images: [TestInputs.png()])
        XCTAssertEqual(none.status, 404, none.text)
        XCTAssertEqual((none.object["error"] as? [String: Any])?["code"] as? String, "no_model")
        XCTAssertEqual(try load(server, #"{"weights": "fake:first"}"#).status, 201)
        XCTAssertEqual(try server.get("/readyz").status, 200)
        XCTAssertEqual(try server.postMultipart("/detect", images: [TestInputs.png()]).status, 200)
        XCTAssertThrowsError(try ArgusService(registry: ModelRegistry([LoadedModel]()), configuration: ServerConfiguration()))
    }

    /// --models DIR --watch: files added, changed and removed are loaded, reloaded and unloaded; a file that does
    /// not load leaves the served models as they were.
    func testWatchedDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("argus-watch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func write(_ file: String, _ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/" + file))
        }
        // The file's text is the fake reference.
        let loader = FakeLoader()
        let fileLoader: ArgusService.ModelLoading = { path, name in
            let text = try String(contentsOfFile: path, encoding: .utf8)
            return try loader.load(text, name: name ?? ModelLoader.fileStem(path))
        }
        try write("seed.pt", "fake:s1")
        let server = try ServerHarness(loaded: [try fileLoader(directory + "/seed.pt", nil)], loader: fileLoader) { c in
            c.watchDirectory = directory
            c.watchIntervalSeconds = 0.05
        }
        func names() throws -> [String] {
            (try server.get("/models").object["models"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        }
        func classes(_ name: String) throws -> [String] { try server.get("/models/" + name).object["classes"] as? [String] ?? [] }
        func eventually(_ what: String, _ condition: () throws -> Bool) throws {
            let limit = Date(timeIntervalSinceNow: 10)
            while try !condition() {
                guard Date() < limit else { return XCTFail("timed out waiting for \(what)") }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        try write("added.pt", "fake:a1")
        try write("notes.txt", "fake:ignored")
        try eventually("added.pt loaded") { try names() == ["seed", "added"] }
        try write("seed.pt", "fake:s22")
        try eventually("seed.pt reloaded") { try classes("seed").first == "person-s22" }
        XCTAssertEqual(try names(), ["seed", "added"], "a reload keeps the model's place")
        try write("bad.pt", "fake:broken")
        try FileManager.default.removeItem(atPath: directory + "/added.pt")
        try eventually("added.pt unloaded") { try names() == ["seed"] }
        try write("seed.pt", "not a model")
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(try names(), ["seed"])
        XCTAssertEqual(try classes("seed").first, "person-s22", "a file that does not load leaves the old model served")
        XCTAssertEqual(try server.postMultipart("/detect", images: [TestInputs.png()]).status, 200)
        try FileManager.default.removeItem(atPath: directory + "/seed.pt")
        try eventually("seed.pt unloaded") { try names() == [] }
        XCTAssertEqual(loader.alive, 0)
    }

    /// The server's own loader (no fake): a checkpoint file, the built-in model by name, and what is not a model
    /// file: a directory, a device that never ends, a missing path.
    func testRealModelFilesAndReferences() throws {
        let tiny = Repository.url("Tests/ArgusModelsTests/Fixtures/torchvision/fasterrcnn_mnv3_tiny.pt").path
        let server = try ServerHarness(loaded: [try DefaultModel.load()]) { c in c.adminKeys = try! APIKeys(["admin-secret"]) }
        func code(_ r: RawResponse) -> String? { (r.object["error"] as? [String: Any])?["code"] as? String }
        for (weights, status, errorCode) in [("/dev/zero", 422, "model_load_failed"), (NSTemporaryDirectory(), 422, "model_load_failed"),
                                             ("/no/such/model.pt", 404, "weights_not_found"), ("no_such_manifest", 404, "weights_not_found")] {
            let r = try load(server, "{\"weights\": \"\(weights)\"}")
            XCTAssertEqual(r.status, status, weights + ": " + r.text)
            XCTAssertEqual(code(r), errorCode, r.text)
        }
        let file = try load(server, "{\"weights\": \"\(tiny)\"}")
        XCTAssertEqual(file.status, 201, file.text)
        XCTAssertEqual(file.object["name"] as? String, "fasterrcnn_mnv3_tiny")
        XCTAssertEqual(file.object["family"] as? String, "faster_rcnn")
        let builtIn = try load(server, #"{"weights": "yolox_nano", "name": "nano2"}"#)
        XCTAssertEqual(builtIn.status, 201, builtIn.text)
        // The loaded copy answers exactly as the model served from the start.
        let jpeg = TestInputs.jpeg(width: 320, height: 240, red: 150)
        let first = try server.postMultipart("/detect", images: [jpeg])
        let second = try server.postMultipart("/detect", fields: [("model", "nano2")], images: [jpeg])
        XCTAssertEqual(first.status, 200)
        XCTAssertEqual((first.object["images"] as? [[String: Any]])?.first?["detections"] as? NSArray,
                       (second.object["images"] as? [[String: Any]])?.first?["detections"] as? NSArray)
        XCTAssertEqual(try server.postMultipart("/detect", fields: [("model", "fasterrcnn_mnv3_tiny")], images: [jpeg]).status, 200)
    }
}
