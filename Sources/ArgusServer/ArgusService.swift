import ArgusImage
import ArgusJSON
import ArgusModels
import ArgusPipeline
import Foundation

/// The Argus HTTP service: routes, limits, the inference scheduler and metrics over `HTTPServer`.
///
/// Every model family plugs in through `Detector` or `SemanticSegmenter`; nothing here knows a model's internals.
public final class ArgusService: HTTPApplication, @unchecked Sendable {
    /// Loads a model by reference (a file on the server or a manifest name) under a name (nil: its own).
    public typealias ModelLoading = @Sendable (_ reference: String, _ name: String?) throws -> LoadedModel

    public let configuration: ServerConfiguration
    public let metrics = Metrics()
    let scheduler: InferenceScheduler
    let served: ServedModels
    let loadModel: ModelLoading
    private var watcher: ModelDirectoryWatcher?
    private var server: HTTPServer?
    private var router = Router()
    private let readiness = NSCondition()
    private var isReady = false
    private var warmUpFailure: String?

    /// `modelLoader` serves `POST /models` and `--watch` (default: a checkpoint path, or a manifest name in the
    /// default catalog). A server may start without a model only when models can be added later (an admin key, or a
    /// watched directory).
    public init(registry: ModelRegistry, configuration: ServerConfiguration, modelLoader: ModelLoading? = nil) throws {
        self.configuration = try configuration.validated()
        let manageable = !configuration.adminKeys.isEmpty || configuration.watchDirectory != nil
        guard !registry.models.isEmpty || manageable else { throw ServerConfigurationError(description: "no model to serve") }
        served = ServedModels(registry)
        loadModel = modelLoader ?? { reference, name in try ModelSource(catalog: ModelCatalog()).load(reference, name: name) }
        scheduler = InferenceScheduler(workers: configuration.workers, queueCapacity: configuration.effectiveQueueCapacity)
        router = makeRoutes()
        if let directory = configuration.watchDirectory { watcher = try watch(directory) }
    }

    /// The models served now: a snapshot, unchanged by models loaded or unloaded after it was taken.
    public var registry: ModelRegistry { served.current }

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
        watcher?.start()
        let warmUp = Thread { [weak self] in self?.warmUp() }
        warmUp.name = "argus-warmup"
        warmUp.start()
    }

    /// Stops the HTTP server and the workers.
    public func stop() {
        watcher?.stop()
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
        var failure: String?
        for model in registry.models {
            do {
                try scheduler.run(deadline: MonotonicClock.now() + 600_000_000_000) { try Self.warmUp(model) }
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

    /// One inference on a mid-gray image the size of a typical camera frame's thumbnail: the first run allocates
    /// and packs what later runs reuse.
    static func warmUp(_ model: LoadedModel) throws {
        let image = RGBImage(width: 320, height: 240, fill: (114, 114, 114))
        switch model {
        case .detector(let detector): _ = try detector.detect(image, options: DetectOptions())
        case .semantic(let segmenter): _ = try segmenter.segment(image, options: SegmentOptions())
        case .classifier(let classifier): _ = try classifier.classify(image, options: ClassifyOptions())
        }
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
        r.add("POST", "/classify", bound { try $0.classify($1) })
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
        r.add("GET", "/v2/health/live", access: .open, bound { service, _ in service.inferenceHealth(ready: false) })
        r.add("GET", "/v2/health/ready", access: .open, bound { service, _ in service.inferenceHealth(ready: true) })
        r.add("GET", "/models", bound { service, _ in service.listModels() })
        r.add("GET", "/models/{name}", bound { try $0.modelInfo($1) })
        r.add("POST", "/models", access: .admin, bound { try $0.addModel($1) })
        r.add("DELETE", "/models/{name}", access: .admin, bound { try $0.removeModel($1) })
        r.add("GET", "/healthz", access: .open) { _ in .json(200, .object([("status", "ok")])) }
        r.add("GET", "/readyz", access: .open, bound { service, _ in service.readyz() })
        r.add("GET", "/metrics", access: configuration.protectMetrics ? .key : .open, bound { service, _ in service.metricsText() })
        // The explorer page holds no data: the API calls it makes need the key like any other client's.
        r.add("GET", "/", access: .open) { _ in
            HTTPResponse(status: 200, headers: [("Content-Type", "text/html; charset=utf-8")], body: ExplorerPage.bytes)
        }
        r.add("GET", "/openapi.json", access: .open) { _ in
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
            let route = try router.route(method: request.method, path: request.path)
            try authorize(request, route.access)
            guard route.access != .admin else { return try route.handler(request) }
            // Counted, so that unloading a model waits for the requests that may still use it.
            let ticket = served.started()
            defer { served.finished(ticket) }
            return try route.handler(request)
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

    /// With API keys configured, every route but the probes (Argus's and the inference protocol's), the API
    /// description and (unless protected) /metrics needs an API key or an admin key. Model management needs an admin
    /// key, and without admin keys it is closed.
    private func authorize(_ request: HTTPRequest, _ access: Router.Access) throws {
        let keys = configuration.apiKeys, adminKeys = configuration.adminKeys
        switch access {
        case .open:
            return
        case .key:
            guard !keys.isEmpty else { return }
            guard let key = APIKeys.presented(in: request) else {
                throw APIError.unauthorized("this server needs an API key: send 'Authorization: Bearer KEY', 'X-API-Key: KEY' or an api_key field")
            }
            guard keys.accepts(key) || adminKeys.accepts(key) else { throw APIError.unauthorized("the API key is not valid") }
        case .admin:
            guard !adminKeys.isEmpty else {
                throw APIError(status: 403, code: "model_management_disabled",
                               "models are managed over HTTP only with an admin key: start the server with --admin-key-file FILE "
                               + "(or --admin-key, ARGUS_ADMIN_KEY, ARGUS_ADMIN_KEY_FILE)")
            }
            guard let key = APIKeys.presented(in: request) else {
                throw APIError.unauthorized("managing models needs the admin key: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'")
            }
            guard adminKeys.accepts(key) else {
                if keys.accepts(key) { throw APIError(status: 403, code: "forbidden", "this API key may not manage models; use the admin key") }
                throw APIError.unauthorized("the admin key is not valid")
            }
        }
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
        if ready && registry.models.isEmpty {
            return APIError(status: 503, code: "no_model", "no model is loaded; add one with POST /models or to the watched directory").response
        }
        if ready { return .json(200, .object([("status", "ready")])) }
        let why = warmUpError ?? "models are warming up"
        return APIError(status: 503, code: "not_ready", why).response
    }

    private func metricsText() -> HTTPResponse {
        .text(200, metrics.exposition(queueDepth: scheduler.queueDepth, running: scheduler.runningCount, ready: ready),
              contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    private func listModels() -> HTTPResponse {
        let registry = self.registry
        let defaultName = registry.defaultModel?.info.name
        return .json(200, .object([("models", .array(registry.models.map { Self.entry($0, isDefault: $0.info.name == defaultName) }))]))
    }

    /// A model as `GET /models` lists it.
    static func entry(_ model: LoadedModel, isDefault: Bool) -> JSONValue {
        let info = model.info
        return .object([
            ("name", .string(info.name)),
            ("family", .string(info.family.rawValue)),
            ("task", .string(info.task.rawValue)),
            ("default", .bool(isDefault)),
            ("classes", .array(info.classNames.map { .string($0) })),
            ("input_size", .number(Double(info.defaults.imageSize))),
            ("stride", .number(Double(info.stride))),
            // A semantic model has no score threshold, NMS or detection cap: only its input size; a classifier
            // has its crop size and how many classes it returns.
            ("defaults", .object(info.task == .semantic ? [("imgsz", .number(Double(info.defaults.imageSize)))]
                : info.task == .classify ? [("top", .number(Double(info.defaults.maxDetections))),
                                            ("imgsz", .number(Double(info.defaults.imageSize)))] : [
                ("conf", .float(info.defaults.confidence)),
                ("iou", .number(info.defaults.iou)),
                ("max_det", .number(Double(info.defaults.maxDetections))),
                ("imgsz", .number(Double(info.defaults.imageSize))),
            ])),
        ])
    }
}
