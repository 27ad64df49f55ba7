import ArgusJSON
import ArgusModels
import ArgusPipeline
import ArgusTensor
import Foundation

/// Models loaded, replaced and unloaded while serving: `POST /models`, `DELETE /models/{name}` (admin key) and
/// `--models DIR --watch`. A model is loaded and warmed up on the thread that asked, outside the inference workers,
/// and becomes visible only when ready; the other models keep being served meanwhile.
extension ArgusService {
    /// Model names appear in URL paths (`/models/{name}`, `/v2/models/{name}`, `/v1/vision/custom/{name}`).
    static func isValidModelName(_ name: String) -> Bool {
        (1...128).contains(name.utf8.count) && name.utf8.allSatisfy { c in
            (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || c == 0x2D || c == 0x2E || c == 0x5F
        } && name != "." && name != ".."
    }

    /// GET /models/{name}: one model as `GET /models` lists it.
    func modelInfo(_ request: HTTPRequest) throws -> HTTPResponse {
        let name = request.pathSegment(2), registry = self.registry
        guard let model = registry.model(named: name) else { throw APIError.modelNotFound(name, available: registry.names) }
        return .json(200, Self.entry(model, isDefault: registry.defaultModel?.info.name == name))
    }

    /// POST /models `{"weights": PATH-OR-MANIFEST, "name": NAME}`: loads and warms up the model, then serves it;
    /// an existing name is replaced at once (201 new, 200 replaced). Answers when the replaced model is unloaded.
    func addModel(_ request: HTTPRequest) throws -> HTTPResponse {
        let parameters = Parameters(request.query)
        try parameters.requireKnown([])
        let deadline = try deadline(for: request, parameters)
        let (reference, requestedName) = try Self.modelRequest(request)
        let start = MonotonicClock.now()
        let model: LoadedModel
        do { model = try loadModel(reference, requestedName) } catch let error as ModelSourceError {
            switch error {
            case .notFound: throw APIError(status: 404, code: "weights_not_found", error.description)
            case .notAFile, .unloadable: throw APIError(status: 422, code: "model_load_failed", error.description)
            }
        } catch {
            throw APIError(status: 422, code: "model_load_failed", "cannot load '\(reference)': \(error)")
        }
        let name = model.info.name
        guard Self.isValidModelName(name) else {
            throw APIError.invalidParameter("the model's name '\(name)' is not usable in a URL: give a name of letters, digits, '-', '_' and '.'")
        }
        do { try Self.warmUp(model) } catch {
            throw APIError(status: 422, code: "model_load_failed", "model '\(name)' loaded but its first inference failed: \(error)")
        }
        let loadedMilliseconds = Double(MonotonicClock.now() - start) / 1e6
        let (replaced, generation) = served.publish(model, source: reference)
        let stillRunning = replaced ? release(before: generation, deadline: deadline) : 0
        log("argus: \(replaced ? "replaced" : "loaded") model '\(name)' from \(reference) in \(Int(loadedMilliseconds)) ms")
        let registry = self.registry
        guard case .object(var members) = Self.entry(model, isDefault: registry.defaultModel?.info.name == name) else {
            throw APIError.internalError("model entry is not an object")
        }
        members += [("replaced", .bool(replaced)), ("load_ms", .number(loadedMilliseconds.rounded())),
                    ("old_model_requests_running", .number(Double(stillRunning)))]
        return .json(replaced ? 200 : 201, .object(members))
    }

    /// DELETE /models/{name}: stops serving the model at once; answers 200 when the requests that were using it
    /// have finished and its memory is returned, or 202 if some still run at the request's deadline.
    func removeModel(_ request: HTTPRequest) throws -> HTTPResponse {
        let name = request.pathSegment(2)
        let parameters = Parameters(request.query)
        try parameters.requireKnown([])
        let deadline = try deadline(for: request, parameters)
        guard let generation = served.withdraw(name) else { throw APIError.modelNotFound(name, available: registry.names) }
        let stillRunning = release(before: generation, deadline: deadline)
        log("argus: unloaded model '\(name)'" + (stillRunning > 0 ? " (\(stillRunning) request(s) still finishing)" : ""))
        return .json(stillRunning == 0 ? 200 : 202, .object([
            ("name", .string(name)), ("status", .string(stillRunning == 0 ? "unloaded" : "unloading")),
            ("requests_running", .number(Double(stillRunning))),
        ]))
    }

    /// Waits for the requests that started before `generation` (bounded by the server's deadline), then gives the
    /// freed memory back to the system. Returns how many still run.
    @discardableResult
    func release(before generation: Int, deadline: UInt64? = nil) -> Int {
        let seconds = deadline.map { Double($0 > MonotonicClock.now() ? $0 - MonotonicClock.now() : 0) / 1e9 }
            ?? configuration.requestDeadlineSeconds
        let left = served.waitForRequests(before: generation, until: Date(timeIntervalSinceNow: seconds))
        // The allocator keeps freed blocks for the next inference (keepFreedMemoryInProcess); a whole model's
        // weights are worth handing back.
        returnFreedMemory()
        return left
    }

    /// The body of `POST /models`: a JSON object with `weights` and an optional `name`, whatever the Content-Type
    /// (`curl -d` sends application/x-www-form-urlencoded).
    private static func modelRequest(_ request: HTTPRequest) throws -> (reference: String, name: String?) {
        guard !request.body.isEmpty else { throw APIError.badRequest("send a JSON object: {\"weights\": \"PATH or manifest name\", \"name\": \"NAME\"}") }
        let document: JSONValue
        do { document = try JSONParser.parse(request.body) } catch let error as JSONParseError {
            throw APIError.badRequest("invalid JSON: \(error.description)")
        }
        guard case .object(let members) = document else { throw APIError.badRequest("the body must be a JSON object") }
        var reference: String?, name: String?
        for (key, value) in members {
            switch key {
            case "weights":
                guard let text = value.stringValue, !text.isEmpty, text.utf8.count <= 4096, !text.utf8.contains(0) else {
                    throw APIError.invalidParameter("weights must be a file path on the server or a model manifest name")
                }
                reference = text
            case "name":
                guard let text = value.stringValue, isValidModelName(text) else {
                    throw APIError.invalidParameter("name must be 1 to 128 letters, digits, '-', '_' or '.'")
                }
                name = text
            default:
                throw APIError.invalidParameter("unknown field '\(key)'; POST /models takes weights and name")
            }
        }
        guard let reference else { throw APIError.invalidParameter("weights is required: a file path on the server or a model manifest name") }
        return (reference, name)
    }

    /// Follows `directory`: a checkpoint added is loaded (named by its file's stem), one changed is reloaded in place,
    /// one removed is unloaded. A file that fails to load is logged and the model it would replace stays.
    func watch(_ directory: String) throws -> ModelDirectoryWatcher {
        let initial = try ModelRegistry.checkpointPaths(in: directory)
        for path in initial where served.current.model(named: ModelLoader.fileStem(path)) != nil {
            served.record(source: path, for: ModelLoader.fileStem(path))
        }
        return ModelDirectoryWatcher(directory: directory, interval: configuration.watchIntervalSeconds,
                                     initial: initial) { [weak self] change in self?.apply(change) }
    }

    private func apply(_ change: ModelDirectoryWatcher.Change) {
        switch change {
        case .added(let path), .changed(let path):
            do {
                let model = try loadModel(path, nil)
                guard Self.isValidModelName(model.info.name) else {
                    throw APIError.invalidParameter("'\(model.info.name)' is not usable as a model name in a URL; rename the file")
                }
                try Self.warmUp(model)
                let (replaced, generation) = served.publish(model, source: path)
                if replaced { release(before: generation) }
                log("argus: watch: \(replaced ? "replaced" : "loaded") model '\(model.info.name)' from \(path)")
            } catch {
                log("argus: watch: cannot load \(path): \(error); serving what was there")
            }
        case .removed(let path):
            let name = ModelLoader.fileStem(path)
            guard let generation = served.withdraw(name, ifFrom: path) else { return }
            release(before: generation)
            log("argus: watch: unloaded model '\(name)' (\(path) was removed)")
        }
    }

    private func log(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
