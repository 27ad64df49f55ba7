import Foundation

/// The model manifests Argus knows, found in a list of directories, and where their weights live.
///
/// Manifests are searched in this order (the first manifest with a name wins):
/// 1. the directory given with `--models-dir`, then `$ARGUS_MODELS_DIR` (each must exist when given);
/// 2. `models/` in the working directory (the repository's `models/` when run from its root);
/// 3. `/models` (the container's models volume).
///
/// Weights are looked for next to their manifest, then in the cache, `<cache>/weights/<file>`, where
/// `argus models pull` puts them; `<cache>` is `$ARGUS_CACHE_DIR`, else `$XDG_CACHE_HOME/argus`, else
/// `~/.cache/argus`.
public struct ModelCatalog: Sendable {
    /// Existing directories searched for `*.json` manifests, in search order.
    public let directories: [String]
    /// The weights cache root (may not exist yet).
    public let cacheDirectory: String

    /// A catalog over explicit directories (missing ones are skipped) and cache.
    public init(directories: [String], cacheDirectory: String) {
        var seen = Set<String>()
        self.directories = directories.map(Self.standardized).filter { dir in
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) && isDir.boolValue && seen.insert(dir).inserted
        }
        self.cacheDirectory = cacheDirectory
    }

    /// The catalog the command line uses: `modelsDirectory` (the `--models-dir` flag), the environment,
    /// the working directory's `models/`, then `/models`.
    public init(modelsDirectory: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                workingDirectory: String = FileManager.default.currentDirectoryPath) throws {
        var dirs: [String] = []
        for explicit in [modelsDirectory, environment["ARGUS_MODELS_DIR"]].compactMap({ $0 }) where !explicit.isEmpty {
            let path = Self.absolute(explicit, from: workingDirectory)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
                throw CatalogError.missingDirectory(path)
            }
            dirs.append(path)
        }
        dirs.append(Self.absolute("models", from: workingDirectory))
        dirs.append("/models")
        self.init(directories: dirs, cacheDirectory: Self.cacheDirectory(environment: environment))
    }

    /// `$ARGUS_CACHE_DIR`, else `$XDG_CACHE_HOME/argus`, else `$HOME/.cache/argus` (the user's home
    /// directory when `HOME` is unset).
    public static func cacheDirectory(environment: [String: String]) -> String {
        if let dir = environment["ARGUS_CACHE_DIR"], !dir.isEmpty { return standardized(dir) }
        // The XDG spec: a relative XDG_CACHE_HOME is invalid and ignored.
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return standardized(xdg + "/argus") }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return standardized(home + "/.cache/argus")
    }

    /// Every valid manifest (first of each name in search order, sorted by name) and the problems met.
    public func entries() -> (entries: [CatalogEntry], problems: [CatalogError]) {
        var byName: [String: CatalogEntry] = [:]
        var problems: [CatalogError] = []
        for dir in directories {
            for path in manifestPaths(in: dir) where byName[ModelManifest.fileStem(path)] == nil {
                do {
                    let manifest = try ModelManifest.load(contentsOf: path)
                    byName[manifest.name] = CatalogEntry(manifest: manifest, path: path)
                } catch let error as CatalogError {
                    problems.append(error)
                } catch {
                    problems.append(.malformedManifest(path: path, reason: "\(error)"))
                }
            }
        }
        return (byName.values.sorted { $0.manifest.name < $1.manifest.name }, problems)
    }

    /// The manifest called `name` (the first in search order); unknown names get close suggestions.
    public func entry(named name: String) throws -> CatalogEntry {
        if ModelManifest.isPlainName(name) {
            for dir in directories {
                let path = dir + "/" + name + ".json"
                if FileManager.default.fileExists(atPath: path) {
                    return CatalogEntry(manifest: try ModelManifest.load(contentsOf: path), path: path)
                }
            }
        }
        let known = Set(directories.flatMap { manifestPaths(in: $0).map(ModelManifest.fileStem) })
        throw CatalogError.unknownModel(name: name, suggestions: ClosestNames.closest(to: name, in: known.sorted()),
                                        searched: directories)
    }

    /// Where `argus models pull` stores the entry's weights: `<cache>/weights/<file>`.
    public func cachedWeightsPath(for entry: CatalogEntry) -> String {
        cacheDirectory + "/weights/" + entry.manifest.weights.file
    }

    /// The weights file if one exists: next to the manifest, else in the cache. Not checksummed here.
    public func installedWeights(for entry: CatalogEntry) -> String? {
        let candidates = [entry.directory + "/" + entry.manifest.weights.file, cachedWeightsPath(for: entry)]
        return candidates.first { path in
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue
        }
    }

    /// `*.json` files directly in `dir` (hidden files skipped), sorted.
    func manifestPaths(in dir: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().map { dir + "/" + $0 }
    }

    static func absolute(_ path: String, from base: String) -> String {
        standardized(path.hasPrefix("/") ? path : base + "/" + path)
    }

    static func standardized(_ path: String) -> String {
        let s = (path as NSString).standardizingPath
        return s.isEmpty ? path : s
    }
}

/// A manifest and the file it was read from.
public struct CatalogEntry: Sendable, Equatable {
    public var manifest: ModelManifest
    /// The manifest file's path.
    public var path: String
    /// The directory holding the manifest.
    public var directory: String { (path as NSString).deletingLastPathComponent }
}
