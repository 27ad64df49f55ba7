import ArgusModels
import Foundation

/// Finds and loads a model named by a reference, for models added while serving (`POST /models`, `--watch`):
/// a checkpoint file on this machine (.pt, .pth, .safetensors, .onnx; a published file gets its manifest's
/// settings), a catalog manifest's name whose weights are pulled, or the built-in default model's name.
public struct ModelSource: Sendable {
    public let catalog: ModelCatalog

    public init(catalog: ModelCatalog) {
        self.catalog = catalog
    }

    /// Loads `reference` as the model `name` (nil: the file's stem or the manifest's name).
    public func load(_ reference: String, name: String?) throws -> LoadedModel {
        if FileManager.default.fileExists(atPath: reference) {
            // Only a regular file (through symlinks): a directory, a device such as /dev/zero or a FIFO would make
            // the reader fail late or never return.
            let target = (reference as NSString).resolvingSymlinksInPath
            let type = (try? FileManager.default.attributesOfItem(atPath: target))?[.type] as? FileAttributeType
            guard type == .typeRegular else { throw ModelSourceError.notAFile(reference) }
            let manifests = catalog.entries().entries.map(\.manifest)
            do { return try ModelLoader.loadModel(contentsOf: reference, name: name, manifests: manifests) } catch {
                throw ModelSourceError.unloadable(reference, "\(error)")
            }
        }
        if reference.contains("/") { throw ModelSourceError.notFound(reference, "no such file") }
        let entry: CatalogEntry
        do { entry = try catalog.entry(named: reference) } catch {
            if reference == DefaultModel.name { return try DefaultModel.load(name: name ?? DefaultModel.name) }
            throw ModelSourceError.notFound(reference, "neither a file nor a model manifest: \(error)")
        }
        guard let weights = catalog.installedWeights(for: entry) else {
            throw ModelSourceError.notFound(reference, "the weights of '\(reference)' (\(entry.manifest.weights.file)) are not "
                + "downloaded; run `argus models pull \(reference)` on the server")
        }
        do { return try ModelLoader.loadModel(manifest: entry.manifest, weightsPath: weights, name: name) } catch {
            throw ModelSourceError.unloadable(weights, "\(error)")
        }
    }
}

/// Why a reference gave no model.
public enum ModelSourceError: Error, CustomStringConvertible, Equatable {
    /// Nothing by that name: no file, no manifest, or a manifest without downloaded weights.
    case notFound(String, String)
    /// A directory, device or FIFO where a regular file was expected.
    case notAFile(String)
    /// The file exists but is not a model Argus can load (with the loader's reason).
    case unloadable(String, String)

    public var description: String {
        switch self {
        case .notFound(let reference, let why): return "cannot find '\(reference)': \(why)"
        case .notAFile(let path): return "'\(path)' is not a regular file (a directory, device or pipe): give a model file"
        case .unloadable(let path, let why): return "cannot load '\(path)': \(why)"
        }
    }
}
