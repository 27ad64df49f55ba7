/// Why a model could not be found or its manifest not used.
public enum CatalogError: Error, Equatable, CustomStringConvertible {
    /// No manifest has this name; `suggestions` are close names, `searched` the directories looked in.
    case unknownModel(name: String, suggestions: [String], searched: [String])
    /// The manifest at `path` is not valid JSON, has unknown or missing keys, or inconsistent values.
    case malformedManifest(path: String, reason: String)
    /// A models directory given explicitly (flag or environment) does not exist.
    case missingDirectory(String)

    public var description: String {
        switch self {
        case .unknownModel(let name, let suggestions, let searched):
            let hint = suggestions.isEmpty ? "" : "; did you mean \(suggestions.map { "'\($0)'" }.joined(separator: " or "))?"
            let dirs = searched.isEmpty ? "no models directory exists" : "searched \(searched.joined(separator: ", "))"
            return "unknown model '\(name)'\(hint) (\(dirs); `argus models list` shows the known names)"
        case .malformedManifest(let path, let reason):
            return "malformed manifest \(path): \(reason)"
        case .missingDirectory(let dir):
            return "models directory \(dir) does not exist"
        }
    }
}
