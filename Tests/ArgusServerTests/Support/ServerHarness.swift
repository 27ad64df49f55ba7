import ArgusModels
import ArgusServer
import XCTest
import ArgusPipeline

/// A real server on an ephemeral loopback port, with its models warmed up.
final class ServerHarness {
    let service: ArgusService
    var port: Int { service.port }

    convenience init(models: [any Detector] = [FakeDetector()], loader: ArgusService.ModelLoading? = nil,
                     configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        try self.init(loaded: models.map { LoadedModel.detector($0) }, loader: loader, configure: configure)
    }

    /// Serves detectors and semantic segmenters alike; `loader` serves POST /models and --watch.
    init(loaded models: [LoadedModel], loader: ArgusService.ModelLoading? = nil,
         configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.workers = 2
        configuration.accessLog = false
        configure(&configuration)
        service = try ArgusService(registry: try ModelRegistry(models), configuration: configuration, modelLoader: loader)
        try service.start()
        guard service.waitUntilReady(timeout: 30) else { throw XCTSkip("server did not become ready: \(service.warmUpError ?? "timeout")") }
    }

    deinit { service.stop() }

    func get(_ path: String, headers: [(String, String)] = []) throws -> RawResponse {
        try RawHTTPClient.request(port: port, method: "GET", path: path, headers: headers)
    }

    func delete(_ path: String, headers: [(String, String)] = []) throws -> RawResponse {
        try RawHTTPClient.request(port: port, method: "DELETE", path: path, headers: headers)
    }

    func post(_ path: String, contentType: String?, body: [UInt8], headers: [(String, String)] = []) throws -> RawResponse {
        var all = headers
        if let contentType { all.append(("Content-Type", contentType)) }
        return try RawHTTPClient.request(port: port, method: "POST", path: path, headers: all, body: body)
    }

    func postMultipart(_ path: String, fields: [(String, String)] = [], images: [[UInt8]]) throws -> RawResponse {
        let form = TestInputs.multipart(fields: fields, files: images.enumerated().map { ("image", "img\($0.offset).png", "image/png", $0.element) })
        return try post(path, contentType: form.contentType, body: form.body)
    }

    func postJSON(_ path: String, _ json: String) throws -> RawResponse {
        try post(path, contentType: "application/json", body: Array(json.utf8))
    }
}
