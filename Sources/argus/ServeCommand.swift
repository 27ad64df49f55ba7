import ArgumentParser
import ArgusModels
import ArgusPipeline
import ArgusServer
import ArgusTensor
import Foundation

/// `argus serve`: the HTTP service (POST /detect, /segment, /evaluate, the DeepStack route, ...).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the models over HTTP (libmicrohttpd).",
        discussion: "With no model flag, serves the built-in default model (YOLOX-Nano, COCO's 80 classes, compiled into the "
            + "binary); with --models, --weights or --model, only those. "
            + "The first model loaded is the default (for /detect, the first detector). Detectors and semantic "
            + "segmentation models load alike; /segment serves instance, semantic and panoptic output. Stop with Ctrl-C (SIGINT) or SIGTERM.")

    @Option(help: "Address to listen on (IPv4 or IPv6 literal).")
    var host = "127.0.0.1"

    @Option(help: "TCP port (0 picks a free one).")
    var port = 8080

    @Option(help: "Load every model file (.pt, .pth, .safetensors, .onnx) in this directory, sorted by name.")
    var models: String?

    @Option(help: "Add one checkpoint (repeatable); its name is the file's stem.")
    var weights: [String] = []

    @Option(help: "Add a model by manifest name (repeatable; see `argus models list`); its weights must be pulled.")
    var model: [String] = []

    @Option(name: .customLong("rcnn-classifier"), help: ArgumentHelp(
        "Add an R-CNN around this image classifier state dict (repeatable), named rcnn_<classifier name>: selective search "
        + "regions warped to the classifier's input and scored by its softmax (ImageNet labels; a teaching pipeline).", valueName: "file"))
    var rcnnClassifiers: [String] = []

    @Option(name: .customLong("models-dir"), help: "Directory searched first for manifests (NAME.json).")
    var modelsDir: String?

    @Option(help: "Inference worker threads (default: one per core).")
    var workers: Int?

    @Option(help: "Requests allowed to wait for a worker before 503 (default: 2 x workers).")
    var queue: Int?

    @Option(help: "Seconds before a request is answered 504.")
    var deadline = 30.0

    @Option(name: .customLong("max-body-mb"), help: "Largest request body for /detect, /segment and /v1/vision/detection, in MiB.")
    var maxBodyMB = 32

    @Option(name: .customLong("max-evaluate-body-mb"), help: "Largest /evaluate body, in MiB.")
    var maxEvaluateBodyMB = 128

    @Option(name: .customLong("max-megapixels"), help: "Largest image, in megapixels, read from its header before decoding.")
    var maxMegapixels = 40.0

    @Option(name: .customLong("max-images"), help: "Most images in one request.")
    var maxImages = 16

    @Option(name: .customLong("max-score-mb"), help: "/segment scores=true: largest total of per-class probability maps (classes x pixels), in MiB.")
    var maxScoreMB = 64

    @Option(name: .customLong("max-connections"), help: "Concurrent HTTP connections.")
    var maxConnections = 256

    @Option(name: .customLong("max-connections-per-ip"),
            help: "Concurrent HTTP connections from one client address (0: no limit; raise it behind a proxy).")
    var maxConnectionsPerIP = 64

    @Option(name: .customLong("connection-timeout"),
            help: "Seconds a connection may stay silent (idle, or in the middle of a request) before it is closed.")
    var connectionTimeout = 60

    @Option(name: .customLong("api-key"),
            help: "A key every request must present (repeatable; also ARGUS_API_KEY). Command lines are visible to other local users: prefer --api-key-file.")
    var apiKey: [String] = []

    @Option(name: .customLong("api-key-file"),
            help: "A file of keys, one per line (a Kubernetes or Docker secret; also ARGUS_API_KEY_FILE).")
    var apiKeyFile: String?

    @Flag(name: .customLong("protect-metrics"), help: "With API keys, /metrics needs a key too.")
    var protectMetrics = false

    @Option(name: .customLong("admin-key"),
            help: "A key that may load and unload models (POST /models, DELETE /models/NAME) and passes as an API key (repeatable; also ARGUS_ADMIN_KEY). Without one, model management over HTTP is closed.")
    var adminKey: [String] = []

    @Option(name: .customLong("admin-key-file"), help: "A file of admin keys, one per line (also ARGUS_ADMIN_KEY_FILE).")
    var adminKeyFile: String?

    @Flag(help: "With --models DIR: load checkpoints added to DIR, reload changed ones, unload removed ones, while serving.")
    var watch = false

    @Option(name: .customLong("watch-interval"), help: "Seconds between two looks at the --watch directory.")
    var watchInterval = 2.0

    @Flag(help: "Do not log one line per request to stderr.")
    var quiet = false

    @Flag(name: .customLong("no-default-model"),
          help: "Never serve the built-in default model (YOLOX-Nano): refuse to start without --models, --weights or --model.")
    var noDefaultModel = false

    /// True when no model flag is given: the built-in default model is served.
    var servesDefault: Bool { models == nil && weights.isEmpty && model.isEmpty && rcnnClassifiers.isEmpty }

    /// Checkpoints (a published file gets its manifest's settings), then manifests by name.
    func loadModels() throws -> ModelRegistry {
        if servesDefault { return try failing { try ModelRegistry([DefaultModel.load()]) } }
        let catalog = try failing { try ModelCatalog(modelsDirectory: modelsDir) }
        let manifests = catalog.entries().entries.map(\.manifest)
        let files = try ModelRegistry.load(directory: models, weights: weights) {
            try ModelLoader.loadModel(contentsOf: $0, manifests: manifests)
        }
        let named = try model.map { try loadManifestModel($0, catalog: catalog) }
        let rcnn = try rcnnClassifiers.map { path in try failing(path) { try ModelLoader.loadRCNN(classifierAt: path, manifests: manifests) } }
        return try failing { try ModelRegistry(files.models + named + rcnn) }
    }

    /// The keys from the flags and the environment (`ARGUS_<KIND>_KEY`, `ARGUS_<KIND>_KEY_FILE`), all valid at once.
    func keys(_ flags: [String], file: String?, environmentPrefix prefix: String) throws -> [String] {
        let environment = ProcessInfo.processInfo.environment
        var keys = flags
        if let key = environment[prefix + "_KEY"], !key.isEmpty { keys.append(key) }
        for file in [file, environment[prefix + "_KEY_FILE"]].compactMap({ $0 }) where !file.isEmpty {
            keys += try APIKeys.read(file: file)
        }
        return keys
    }

    func validate() throws {
        if servesDefault && noDefaultModel {
            throw ValidationError("--no-default-model: give --models DIR, --weights PATH or --model NAME")
        }
        if maxBodyMB < 1 || maxEvaluateBodyMB < 1 || maxScoreMB < 1 { throw ValidationError("body and score limits must be at least 1 MiB") }
        if !(maxMegapixels > 0) { throw ValidationError("--max-megapixels must be positive") }
        if watch && models == nil { throw ValidationError("--watch follows the --models DIR directory: give --models DIR") }
    }

    func run() throws {
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        if let workers { configuration.workers = workers }
        configuration.queueCapacity = queue
        configuration.requestDeadlineSeconds = deadline
        configuration.maxBodyBytes = maxBodyMB << 20
        configuration.maxEvaluateBodyBytes = maxEvaluateBodyMB << 20
        configuration.maxPixels = Int(maxMegapixels * 1_000_000)
        configuration.maxImagesPerRequest = maxImages
        configuration.connectionLimit = maxConnections
        configuration.perAddressConnectionLimit = maxConnectionsPerIP
        configuration.connectionTimeoutSeconds = connectionTimeout
        configuration.maxScoreMapBytes = maxScoreMB << 20
        configuration.accessLog = !quiet
        configuration.apiKeys = try failing { try APIKeys(keys(apiKey, file: apiKeyFile, environmentPrefix: "ARGUS_API")) }
        configuration.adminKeys = try failing { try APIKeys(keys(adminKey, file: adminKeyFile, environmentPrefix: "ARGUS_ADMIN")) }
        configuration.protectMetrics = protectMetrics
        configuration.watchDirectory = watch ? models : nil
        configuration.watchIntervalSeconds = watchInterval
        do { configuration = try configuration.validated() } catch { throw ValidationError("\(error)") }
        // Workers x compute threads never exceed the cores.
        EngineThreads.set(configuration.blasThreadsPerWorker)

        let registry = try loadModels()
        let source = ModelSource(catalog: try failing { try ModelCatalog(modelsDirectory: modelsDir) })
        let service = try failing {
            try ArgusService(registry: registry, configuration: configuration, modelLoader: { try source.load($0, name: $1) })
        }
        try service.start()
        let hostText = host.contains(":") ? "[\(host)]" : host
        log("argus: listening on http://\(hostText):\(service.port) with \(configuration.workers) worker(s) x "
            + "\(configuration.blasThreadsPerWorker) BLAS thread(s) (OpenBLAS \(BLASCoreType.current) kernels); models: \(registry.names.joined(separator: ", ")) "
            + (registry.names.first.map { "(default \($0)\(servesDefault ? ", built in" : ""))" } ?? "(none yet)")
            + (configuration.apiKeys.isEmpty ? "" : "; API key required")
            + (configuration.adminKeys.isEmpty ? "" : "; models managed with the admin key")
            + (watch ? "; watching \(models ?? "")" : ""))

        // Serve until SIGINT or SIGTERM, then stop cleanly.
        let stop = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }
        if service.waitUntilReady(timeout: 600) {
            let url = "http://\(host == "0.0.0.0" || host == "::" ? "127.0.0.1" : hostText):\(service.port)"
            let key = configuration.apiKeys.isEmpty ? "" : "-H 'X-API-Key: KEY' "
            log("argus: ready; try: curl \(key)-F image=@photo.jpg \(url)/detect")
        } else {
            log("argus: not ready: \(service.warmUpError ?? "warm-up timed out")")
        }
        stop.wait()
        // Finish what was received (each request is bounded by its deadline), then exit 0.
        log("argus: draining in-flight requests, then stopping")
        service.drain(timeout: Double(configuration.requestDeadlineSeconds) + 5)
        log("argus: stopped")
        sources.forEach { $0.cancel() }
    }

    private func log(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
