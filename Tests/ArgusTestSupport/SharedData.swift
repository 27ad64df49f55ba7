import Foundation
import XCTest

/// The read-only shared data folder (weights/, datasets/, eval/, reference/): `$ARGUS_SHARED` when set,
/// otherwise `shared` next to the repository (`<repo>/../shared`). It is not committed, so tests that need
/// it skip, naming the missing path, when it (or the file they need) is absent.
public enum SharedData {
    /// The one environment variable that moves the shared folder.
    public static let environmentVariable = "ARGUS_SHARED"

    /// The shared folder: `$ARGUS_SHARED` (an empty value counts as unset), or `<repo>/../shared`.
    public static var root: URL {
        if let value = ProcessInfo.processInfo.environment[environmentVariable], !value.isEmpty {
            return URL(fileURLWithPath: value)
        }
        return Repository.root.deletingLastPathComponent().appendingPathComponent("shared")
    }

    /// Where the folder comes from, for skip messages.
    public static var origin: String {
        if let value = ProcessInfo.processInfo.environment[environmentVariable], !value.isEmpty {
            return "shared data folder \(root.path), set by $\(environmentVariable)"
        }
        return "shared data folder \(root.path): ../shared next to the repository; $\(environmentVariable) moves it"
    }

    /// The message of the XCTSkip thrown when `relative` is missing: the full path, and where the folder came from.
    public static func missingMessage(_ relative: String) -> String {
        "\(root.appendingPathComponent(relative).path) is absent (\(origin)): skipping"
    }

    /// A file or directory under the shared folder, or nil when it is absent (for tests that use it optionally).
    public static func ifPresent(_ relative: String) -> URL? {
        let url = root.appendingPathComponent(relative)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// A file or directory under the shared folder, or an XCTSkip naming the missing path (reported at the caller).
    public static func url(_ relative: String, file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        guard let url = ifPresent(relative) else { throw XCTSkip(missingMessage(relative), file: file, line: line) }
        return url
    }

    /// The path of a file or directory under the shared folder, or an XCTSkip naming the missing path.
    public static func path(_ relative: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try url(relative, file: file, line: line).path
    }

    /// The shared folder itself, once `relative` (e.g. `datasets`) is known to be in it; an XCTSkip otherwise.
    public static func root(containing relative: String, file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        _ = try url(relative, file: file, line: line)
        return root
    }

    /// A JSON object under the shared folder (skips when absent; fails when it is not a JSON object).
    public static func json(_ relative: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let data = try Data(contentsOf: url(relative, file: file, line: line))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any], "\(relative) is not a JSON object",
                             file: file, line: line)
    }

    /// The bytes of a file under the shared folder (skips when absent).
    public static func bytes(_ relative: String, file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(relative, file: file, line: line)))
    }
}
