import Foundation

/// Everything `argus serve` can tune, with the documented defaults.
public struct ServerConfiguration: Sendable {
    /// Address to listen on (IPv4 or IPv6 literal).
    public var host = "127.0.0.1"
    /// TCP port; 0 picks a free one.
    public var port = 8080
    /// Inference worker threads.
    public var workers = ServerConfiguration.defaultWorkers
    /// Jobs allowed to wait for a worker; nil means 2 x workers.
    public var queueCapacity: Int?
    /// Seconds from request arrival to answer before a 504.
    public var requestDeadlineSeconds = 30.0
    /// Largest request body for /detect, /segment and the DeepStack route.
    public var maxBodyBytes = 32 << 20
    /// Largest request body for /evaluate (ground truth and results can be big).
    public var maxEvaluateBodyBytes = 128 << 20
    /// Largest image, in pixels, checked from the header before decoding (decompression bombs).
    public var maxPixels = 40_000_000
    /// Most images in one request.
    public var maxImagesPerRequest = 16
    /// /segment with scores=true: most bytes of per-class probability maps (classes x pixels, summed over the request).
    public var maxScoreMapBytes = 64 << 20
    /// Concurrent HTTP connections (each has its own thread).
    public var connectionLimit = 256
    /// Concurrent HTTP connections from one client address (0: no per-address limit), so one slow or idle
    /// client cannot take every connection. Behind a proxy every client has the proxy's address: raise it there.
    public var perAddressConnectionLimit = 64
    /// Seconds a connection may stay silent (between requests, or in the middle of one) before it is closed.
    public var connectionTimeoutSeconds = 60
    /// Log one line per request to stderr.
    public var accessLog = true
    /// Keys one of which every request must present, except to /healthz, /readyz and /openapi.json (and /metrics
    /// unless `protectMetrics`); none: no key needed.
    public var apiKeys = APIKeys.none
    /// With API keys, /metrics needs a key too.
    public var protectMetrics = false
    /// Keys that may load and unload models (`POST /models`, `DELETE /models/{name}`) and also pass where an API key
    /// is needed; none: model management over HTTP is closed.
    public var adminKeys = APIKeys.none
    /// A directory whose checkpoint files are followed: added ones loaded, changed ones reloaded, removed ones
    /// unloaded (`--models DIR --watch`).
    public var watchDirectory: String?
    /// Seconds between two looks at `watchDirectory`; a new file is loaded once it held still for one interval.
    public var watchIntervalSeconds = 2.0

    public init() {}

    /// Workers by default: one per core (each with one BLAS thread), so throughput scales with cores.
    public static var defaultWorkers: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// The effective queue capacity.
    public var effectiveQueueCapacity: Int { queueCapacity ?? 2 * workers }

    /// Compute threads (`EngineThreads`) per worker, so that workers x threads never exceed the cores.
    public var blasThreadsPerWorker: Int { max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, workers)) }

    /// Checks ranges; throws a message naming the bad setting.
    public func validated() throws -> ServerConfiguration {
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw ServerConfigurationError(description: message) } }
        try check((0...65535).contains(port), "port must be in 0...65535")
        try check((1...256).contains(workers), "workers must be in 1...256")
        try check(effectiveQueueCapacity >= 0, "queue capacity must be >= 0")
        try check(requestDeadlineSeconds > 0, "the request deadline must be positive")
        try check(maxBodyBytes > 0 && maxEvaluateBodyBytes > 0, "body limits must be positive")
        try check(maxPixels > 0, "the pixel limit must be positive")
        try check(maxImagesPerRequest >= 1, "images per request must be >= 1")
        try check(maxScoreMapBytes > 0, "the score map limit must be positive")
        try check(connectionLimit >= 1, "the connection limit must be >= 1")
        try check(perAddressConnectionLimit >= 0, "the per-address connection limit must be >= 0")
        try check((1...3600).contains(connectionTimeoutSeconds), "the connection timeout must be in 1...3600 seconds")
        try check((0.05...3600).contains(watchIntervalSeconds), "the watch interval must be in 0.05...3600 seconds")
        return self
    }
}

/// A server setting out of range.
public struct ServerConfigurationError: Error, CustomStringConvertible {
    public var description: String
}
