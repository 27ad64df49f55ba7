import ArgusModels
import ArgusPipeline
import Foundation

/// The models being served, which `POST /models`, `DELETE /models/{name}` and `--watch` change while requests run.
///
/// A request reads immutable `ModelRegistry` snapshots; a change publishes a new snapshot at once, so a request sees a
/// name's old model or its new one, never neither. Requests are counted by the generation they started in: an unload
/// waits for the requests that started before it, the only ones that can still hold the old model, whose memory
/// goes back when the last of them lets go of it.
final class ServedModels: @unchecked Sendable {
    private let condition = NSCondition()
    private var snapshot: ModelRegistry
    /// Where each model came from (a file or manifest name), for `--watch` to remove only what it added.
    private var sources: [String: String] = [:]
    private var generation = 0
    /// Generation -> requests in flight that started in it.
    private var running: [Int: Int] = [:]

    init(_ registry: ModelRegistry) {
        snapshot = registry
    }

    /// The models now.
    var current: ModelRegistry {
        condition.lock(); defer { condition.unlock() }
        return snapshot
    }

    /// Counts a request as running; give the ticket back to `finished`.
    func started() -> Int {
        condition.lock(); defer { condition.unlock() }
        running[generation, default: 0] += 1
        return generation
    }

    func finished(_ ticket: Int) {
        condition.lock(); defer { condition.unlock() }
        let left = running[ticket, default: 1] - 1
        running[ticket] = left > 0 ? left : nil
        if left <= 0 { condition.broadcast() }
    }

    /// Serves `model` under its name: in place of the model of that name (keeping its position, so a default stays
    /// the default), else last. Returns whether it replaced one, and the new generation.
    func publish(_ model: LoadedModel, source: String?) -> (replaced: Bool, generation: Int) {
        condition.lock(); defer { condition.unlock() }
        var models = snapshot.models
        let name = model.info.name
        let index = models.firstIndex { $0.info.name == name }
        if let index { models[index] = model } else { models.append(model) }
        // Names are unique by construction here, so this cannot throw.
        snapshot = try! ModelRegistry(models)
        sources[name] = source
        generation += 1
        return (index != nil, generation)
    }

    /// Stops serving `name` (only if it came from `source`, when given). Returns the new generation, or nil when
    /// no such model is served.
    func withdraw(_ name: String, ifFrom source: String? = nil) -> Int? {
        condition.lock(); defer { condition.unlock() }
        guard snapshot.model(named: name) != nil, source == nil || sources[name] == source else { return nil }
        snapshot = try! ModelRegistry(snapshot.models.filter { $0.info.name != name })
        sources[name] = nil
        generation += 1
        return generation
    }

    /// Notes where a model served from the start came from.
    func record(source: String, for name: String) {
        condition.lock(); defer { condition.unlock() }
        sources[name] = source
    }

    /// Waits until no request that started before `generation` runs, or `deadline` passes. Returns how many are
    /// still running (0: all done).
    func waitForRequests(before generation: Int, until deadline: Date) -> Int {
        condition.lock(); defer { condition.unlock() }
        func older() -> Int { running.reduce(0) { $0 + ($1.key < generation ? $1.value : 0) } }
        while older() > 0 {
            if !condition.wait(until: deadline) { break }
        }
        return older()
    }
}
