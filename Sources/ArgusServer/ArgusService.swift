import ArgusImage
import ArgusJSON
import ArgusModels
import ArgusPipeline
import Foundation

/// The Argus HTTP service: routes, limits, the inference scheduler and metrics over `HTTPServer`.
///
/// Every model family plugs in through `Detector` or `SemanticSegmenter`; nothing here knows a model's internals.
public final class ArgusService: HTTPApplication, @unchecked Sendable {
    public let configuration: ServerConfiguration
    public let registry: ModelRegistry
    public let metrics = Metrics()
    let scheduler: InferenceScheduler
    private var server: HTTPServer?
    private var router = Router()
    private let readiness = NSCondition()
    private var isReady = false
    private var warmUpFailure: String?

    public init(registry: ModelRegistry, configuration: ServerConfiguration) throws {
        self.configuration = try configuration.validated()
        self.registry = registry
        guard !registry.models.isEmpty else { throw ServerConfigurationError(description: "no model to serve") }
        scheduler = InferenceScheduler(workers: configuration.workers, queueCapacity: configuration.effectiveQueueCapacity)
        router = makeRoutes()
    }

    deinit { stop() }

    /// The bound port (after `start`).
    public var port: Int { server?.port ?? 0 }

    /// Starts listening, then warms every model up on the scheduler in the background (`/readyz` turns 200 after).
    public func start() throws {
        let http = HTTPServer(configuration: .init(host: configuration.host, port: configuration.port,
                                                  connectionLimit: configuration.connectionLimit,
                                                  perAddressConnectionLimit: configuration.perAddressConnectionLimit,
                                                  connectionTimeoutSeconds: configuration.connectionTimeoutSeconds),
                              application: self)
        try http.start()
        server = http
        let warmUp = Thread { [weak self] in self?.warmUp() }
        warmUp.name = "argus-warmup"
        warmUp.start()
    }

    /// Stops the HTTP server and the workers.
    public func stop() {
        server?.stop()
        server = nil
        scheduler.shutdown()
    }

    /// Graceful shutdown (SIGTERM): stop accepting, answer the requests already received
    /// (at most `timeout` seconds), then stop.
    public func drain(timeout: Double) {
        server?.drain(timeout: timeout)
        stop()
    }

    /// Whether models are loaded and one warm-up inference per model passed.
    public var ready: Bool { readiness.lock(); defer { readiness.unlock() }; return isReady }

    /// Blocks until ready (true), warm-up failed or `timeout` seconds passed (false).
    public func waitUntilReady(timeout: Double) -> Bool {
        let limit = Date(timeIntervalSinceNow: timeout)
        readiness.lock(); defer { readiness.unlock() }
        while !isReady && warmUpFailure == nil {
            if !readiness.wait(until: limit) { break }
        }
        return isReady
    }

    /// Why warm-up failed, if it did.
    public var warmUpError: String? { readiness.lock(); defer { readiness.unlock() }; return warmUpFailure }

    private func warmUp() {
        // A mid-gray image the size of a typical camera frame's thumbnail.
        let image = RGBImage(width: 320, height: 240, fill: (114, 114, 114))
        var failure: String?
        for model in registry.models {
            do {
                _ = try scheduler.run(deadline: MonotonicClock.now() + 600_000_000_000) { () -> Void in
                    switch model {
                    case .detector(let detector): _ = try detector.detect(image, options: DetectOptions())
                    case .semantic(let segmenter): _ = try segmenter.segment(image, options: SegmentOptions())
                    }
                }
            } catch {
                failure = "warm-up of model '\(model.info.name)' failed: \(error)"
                break
            }
        }
        readiness.lock()
        if let failure { warmUpFailure = failure } else { isReady = true }
        readiness.broadcast()
        readiness.unlock()
        if let failure { FileHandle.standardError.write(Data("argus: \(failure)\n".utf8)) }
    }

    private func makeRoutes() -> Router {
        var r = Router()
        // Handlers hold the service weakly: a request still in flight while the service is being torn down
        // (its deinit stops the HTTP server) gets a 503 instead of touching a destroyed object.
        func bound(_ handler: @escaping (ArgusService, HTTPRequest) throws -> HTTPResponse) -> (HTTPRequest) throws -> HTTPResponse {
            { [weak self] request in
                guard let self else { throw APIError(status: 503, code: "shutting_down", "the server is shutting down") }
                return try handler(self, request)
            }
        }
        r.add("POST", "/detect", bound { try $0.detect($1) })
        r.add("POST", "/segment", bound { try $0.segment($1) })
        r.add("POST", "/evaluate", bound { try $0.evaluate($1) })
        r.add("POST", "/v1/vision/detection", bound { $0.deepStackDetection($1, model: nil) })
        r.add("POST", "/v1/vision/custom/list", bound { service, _ in service.deepStackModelList() })
        r.add("POST", "/v1/vision/custom/{model}", bound { $0.deepStackDetection($1, model: $1.pathSegment(4)) })
        for versioned in ["", "/versions/{version}"] {
            r.add("GET", "/v2/models/{model}" + versioned, bound { try $0.inferenceModelMetadata($1) })
            r.add("GET", "/v2/models/{model}" + versioned + "/ready", bound { try $0.inferenceModelReady($1) })
            r.add("POST", "/v2/models/{model}" + versioned + "/infer", bound { try $0.inferenceInfer($1) })
        }
        r.add("GET", "/v2", bound { service, _ in service.inferenceServerMetadata() })
        r.add("GET", "/v2/health/live", bound { service, _ in service.inferenceHealth(ready: false) })
        r.add("GET", "/v2/health/ready", bound { service, _ in service.inferenceHealth(ready: true) })
        r.add("GET", "/models", bound { service, _ in service.listModels() })
        r.add("GET", "/healthz") { _ in .json(200, .object([("status", "ok")])) }
        r.add("GET", "/readyz", bound { service, _ in service.readyz() })
        r.add("GET", "/metrics", bound { service, _ in service.metricsText() })
        r.add("GET", "/openapi.json") { _ in
            HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: OpenAPIDocument.bytes)
        }
        return r
    }

    /// The request's deadline as a monotonic time: the server's (`--deadline`), or sooner when the client asks with
    /// an `X-Request-Timeout` header or a `timeout` parameter (seconds). The scheduler refuses at once a request
    /// that cannot start before it.
    func deadline(for request: HTTPRequest, _ parameters: Parameters) throws -> UInt64 {
        let seconds = min(configuration.requestDeadlineSeconds, try Self.clientTimeout(request, parameters) ?? .infinity)
        return request.receivedAt + UInt64(seconds * 1e9)
    }

    /// The client's own timeout in seconds, if it gave one; a malformed one is a 400. Handlers read it with the
    /// other parameters, before any limit is checked.
    static func clientTimeout(_ request: HTTPRequest, _ parameters: Parameters) throws -> Double? {
        var seconds: Double?
        if let header = request.header("x-request-timeout") {
            guard let t = Double(header.trimmingSpaces()), t.isFinite, t > 0 else {
                throw APIError.invalidParameter("X-Request-Timeout must be a number of seconds > 0, got '\(header)'")
            }
            seconds = t
        }
        if let t = try parameters.double("timeout", in: 0.001...86_400) { seconds = min(seconds ?? t, t) }
        return seconds
    }

    // MARK: HTTPApplication

    public func bodyLimit(method: String, path: String) -> Int {
        path == "/evaluate" ? configuration.maxEvaluateBodyBytes : configuration.maxBodyBytes
    }

    public func payloadTooLarge(_ request: HTTPRequest, limit: Int) -> HTTPResponse {
        errorResponse(APIError.payloadTooLarge(limit: limit), path: request.path)
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        metrics.adjustInFlight(1)
        defer { metrics.adjustInFlight(-1) }
        do {
            let handler = try router.handler(method: request.method, path: request.path)
            try authorize(request)
            return try handler(request)
        } catch {
            let api = APIError.from(error)
            if api.status >= 500 && api.code == "internal_error" {
                FileHandle.standardError.write(Data("argus: internal error on \(request.method) \(request.path): \(api.message)\n".utf8))
            }
            return errorResponse(api, path: request.path)
        }
    }

    /// DeepStack's routes answer errors in DeepStack's shape, the others in Argus's.
    private func errorResponse(_ error: APIError, path: String) -> HTTPResponse {
        if DeepStack.serves(path) { return DeepStack.errorResponse(error) }
        if InferenceProtocol.serves(path) { return InferenceProtocol.errorResponse(error) }
        return error.response
    }

    /// The probes and the API description, open without a key.
    static let keylessPaths: Set<String> = ["/healthz", "/readyz", "/openapi.json", "/v2/health/live", "/v2/health/ready"]

    /// With API keys configured, every route but the probes (Argus's and the inference protocol's) and the API
    /// description needs one of them.
    private func authorize(_ request: HTTPRequest) throws {
        let keys = configuration.apiKeys
        guard !keys.isEmpty else { return }
        guard !Self.keylessPaths.contains(request.path), configuration.protectMetrics || request.path != "/metrics" else { return }
        guard let key = APIKeys.presented(in: request) else {
            throw APIError.unauthorized("this server needs an API key: send 'Authorization: Bearer KEY', 'X-API-Key: KEY' or an api_key field")
        }
        guard keys.accepts(key) else { throw APIError.unauthorized("the API key is not valid") }
    }

    public func didRespond(to request: HTTPRequest, with response: HTTPResponse, milliseconds: Double) {
        metrics.recordRequest(route: router.label(for: request.path), status: response.status, seconds: milliseconds / 1000)
        if configuration.accessLog {
            let line = "\(request.method) \(request.path) \(response.status) \(String(format: "%.1f", milliseconds))ms\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    // MARK: Small handlers

    private func readyz() -> HTTPResponse {
        if ready { return .json(200, .object([("status", "ready")])) }
        let why = warmUpError ?? "models are warming up"
        return APIError(status: 503, code: "not_ready", why).response
    }

    private func metricsText() -> HTTPResponse {
        .text(200, metrics.exposition(queueDepth: scheduler.queueDepth, running: scheduler.runningCount, ready: ready),
              contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    private func listModels() -> HTTPResponse {
        let defaultName = registry.defaultModel?.info.name
        let list: [JSONValue] = registry.models.map { model in
            let info = model.info
            return .object([
                ("name", .string(info.name)),
                ("family", .string(info.family.rawValue)),
                ("task", .string(info.task.rawValue)),
                ("default", .bool(info.name == defaultName)),
                ("classes", .array(info.classNames.map { .string($0) })),
                ("input_size", .number(Double(info.defaults.imageSize))),
                ("stride", .number(Double(info.stride))),
                // A semantic model has no score threshold, NMS or detection cap: only its input size.
                ("defaults", .object(info.task == .semantic ? [("imgsz", .number(Double(info.defaults.imageSize)))] : [
                    ("conf", .float(info.defaults.confidence)),
                    ("iou", .number(info.defaults.iou)),
                    ("max_det", .number(Double(info.defaults.maxDetections))),
                    ("imgsz", .number(Double(info.defaults.imageSize))),
                ])),
            ])
        }
        return .json(200, .object([("models", .array(list))]))
    }
}
