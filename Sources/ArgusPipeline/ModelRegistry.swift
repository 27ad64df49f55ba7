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

    /// The checkpoint files in `directory`, sorted by file name.
    public static func checkpointPaths(in directory: String) throws -> [String] {
        let files: [String]
        do { files = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw ModelRegistryError(description: "cannot list the models directory '\(directory)': \(error.localizedDescription)")
        }
        return files.sorted().compactMap { file in
            let ext = file.split(separator: ".").last.map { $0.lowercased() } ?? ""
            guard file.contains("."), checkpointExtensions.contains(ext) else { return nil }
            return directory.hasSuffix("/") ? directory + file : directory + "/" + file
        }
    }

    /// Loads every checkpoint in `directory` (sorted by file name), then each of `weights`, in order.
    public static func load(directory: String?, weights: [String],
                            loader: (String) throws -> LoadedModel = { try ModelLoader.loadModel(contentsOf: $0) }) throws -> ModelRegistry {
        var paths = try directory.map(checkpointPaths) ?? []
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

extension ModelRegistry {
    /// The detector a box route uses: the named model, or the first detector loaded (with `task == .segment`, the
    /// first instance segmentation model). A semantic model is refused naming the route that serves it; with
    /// `task == .segment`, a detector without masks is refused naming the models that have them.
    public func detector(named name: String?, task: ModelTask) throws -> any Detector {
        guard !models.isEmpty else { throw PipelineError.noModel }
        let chosen: LoadedModel
        if let name {
            guard let named = model(named: name) else { throw PipelineError.modelNotFound(name, available: names) }
            chosen = named
        } else if task == .segment, let segmenter = models.first(where: { $0.info.task == .segment }) {
            chosen = segmenter
        } else if let detector = models.first(where: { $0.detector != nil }) {
            chosen = detector
        } else {
            throw PipelineError.unsupported(code: "model_cannot_detect",
                "none of the loaded models detects boxes (loaded: \(names.joined(separator: ", "))); "
                + "semantic segmentation models are served by POST /segment, classifiers by POST /classify")
        }
        guard let model = chosen.detector else {
            let what = chosen.classifier != nil
                ? "an image classifier (\(chosen.info.family)): it names the whole image and has no boxes; use POST /classify"
                : "a semantic segmentation model (\(chosen.info.family)): it labels pixels and has no boxes; use POST /segment"
            throw PipelineError.unsupported(code: "model_cannot_detect",
                                            "model '\(chosen.info.name)' is \(what), or one of the detectors: \(detectorNames)")
        }
        if task == .segment && model.info.task != .segment {
            throw cannotSegment(model.info.name)
        }
        return model
    }

    /// The loaded detectors' names, for messages.
    var detectorNames: String {
        let names = models.filter { $0.detector != nil }.map(\.info.name)
        return names.isEmpty ? "none loaded" : names.joined(separator: ", ")
    }
}

extension ModelRegistry {
    /// The classifier /classify uses: the named model, or the first classifier loaded; any other model is refused
    /// naming the route that serves it.
    public func classifier(named name: String?) throws -> any ImageClassifier {
        guard !models.isEmpty else { throw PipelineError.noModel }
        let chosen: LoadedModel
        if let name {
            guard let named = model(named: name) else { throw PipelineError.modelNotFound(name, available: names) }
            chosen = named
        } else if let first = models.first(where: { $0.classifier != nil }) {
            chosen = first
        } else {
            throw PipelineError.unsupported(code: "model_cannot_classify",
                "none of the loaded models is an image classifier (loaded: \(names.joined(separator: ", "))); load one with "
                + "--weights (a torchvision alexnet, vgg16, resnet18, resnet50 or mobilenet_v3 state dict)")
        }
        guard let classifier = chosen.classifier else {
            let route = chosen.info.task == .detect ? "POST /detect" : "POST /segment"
            let able = models.filter { $0.classifier != nil }.map(\.info.name)
            throw PipelineError.unsupported(code: "model_cannot_classify",
                "model '\(chosen.info.name)' is a \(chosen.info.task.rawValue) model (\(chosen.info.family)), not an image "
                + "classifier; use \(route)" + (able.isEmpty ? "" : ", or one of the classifiers: \(able.joined(separator: ", "))"))
        }
        return classifier
    }
}
