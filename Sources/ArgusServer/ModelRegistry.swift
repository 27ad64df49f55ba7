import ArgusModels
import Foundation

/// The loaded models by name, in load order; the first is the default.
///
/// Models are immutable after loading and shared by every worker.
public struct ModelRegistry: Sendable {
    public let models: [any Detector]

    /// Wraps loaded models; names must be unique.
    public init(_ models: [any Detector]) throws {
        var seen = Set<String>()
        for model in models where !seen.insert(model.info.name).inserted {
            throw ModelRegistryError(description: "two models are named '\(model.info.name)'")
        }
        self.models = models
    }

    /// The model used when a request names none.
    public var defaultModel: (any Detector)? { models.first }

    public var names: [String] { models.map(\.info.name) }

    public func model(named name: String) -> (any Detector)? {
        models.first { $0.info.name == name }
    }

    /// Checkpoint file extensions `--models DIR` picks up.
    public static let checkpointExtensions: Set<String> = ["pt", "pth", "safetensors"]

    /// Loads every checkpoint in `directory` (sorted by file name), then each of `weights`, in order.
    public static func load(directory: String?, weights: [String],
                            loader: (String) throws -> any Detector = { try ModelLoader.load(contentsOf: $0) }) throws -> ModelRegistry {
        var paths: [String] = []
        if let directory {
            let files: [String]
            do { files = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
                throw ModelRegistryError(description: "cannot list the models directory '\(directory)': \(error.localizedDescription)")
            }
            for file in files.sorted() {
                let ext = file.split(separator: ".").last.map { $0.lowercased() } ?? ""
                if file.contains("."), checkpointExtensions.contains(ext) {
                    paths.append(directory.hasSuffix("/") ? directory + file : directory + "/" + file)
                }
            }
        }
        paths += weights
        var models: [any Detector] = []
        for path in paths {
            do { models.append(try loader(path)) } catch {
                throw ModelRegistryError(description: "cannot load '\(path)': \(error)")
            }
        }
        return try ModelRegistry(models)
    }
}

/// A model set that cannot be served.
public struct ModelRegistryError: Error, CustomStringConvertible {
    public var description: String
}
