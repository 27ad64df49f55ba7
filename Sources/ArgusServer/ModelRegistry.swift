import ArgusModels
import Foundation

/// The loaded models by name, in load order; the first is the default.
///
/// Models are immutable after loading and shared by every worker.
public struct ModelRegistry: Sendable {
    public let models: [LoadedModel]

    /// Wraps loaded models (detectors and semantic segmenters); names must be unique.
    public init(_ models: [LoadedModel]) throws {
        var seen = Set<String>()
        for model in models where !seen.insert(model.info.name).inserted {
            throw ModelRegistryError(description: "two models are named '\(model.info.name)'")
        }
        self.models = models
    }

    /// Wraps detectors only.
    public init(_ detectors: [any Detector]) throws {
        try self.init(detectors.map { LoadedModel.detector($0) })
    }

    /// The model used when a request names none.
    public var defaultModel: LoadedModel? { models.first }

    public var names: [String] { models.map(\.info.name) }

    public func model(named name: String) -> LoadedModel? {
        models.first { $0.info.name == name }
    }

    /// The names of the models that perform `task`.
    public func names(for task: ModelTask) -> [String] {
        models.filter { $0.info.task == task }.map(\.info.name)
    }

    /// Checkpoint file extensions `--models DIR` picks up.
    public static let checkpointExtensions: Set<String> = ["pt", "pth", "safetensors", "onnx"]

    /// Loads every checkpoint in `directory` (sorted by file name), then each of `weights`, in order.
    public static func load(directory: String?, weights: [String],
                            loader: (String) throws -> LoadedModel = { try ModelLoader.loadModel(contentsOf: $0) }) throws -> ModelRegistry {
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
        var models: [LoadedModel] = []
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
