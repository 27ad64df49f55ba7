import Foundation

/// The repository the tests were compiled from, for committed files outside a test target's resources
/// (models/, tools/…_fixtures, openapi.json, another target's Fixtures).
public enum Repository {
    /// The repository root, found from this source file's path (Tests/ArgusTestSupport/Repository.swift).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A path under the repository root (not checked: these files are committed).
    public static func url(_ relative: String) -> URL {
        root.appendingPathComponent(relative)
    }
}
