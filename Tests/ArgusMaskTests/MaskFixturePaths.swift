import Foundation
import XCTest

/// Paths for the mask-encoding tests: committed `tools/mask_fixtures` and the shared datasets next to the repo.
enum MaskFixturePaths {
    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `../shared` (or `$ARGUS_SHARED`).
    static var shared: URL {
        if let env = ProcessInfo.processInfo.environment["ARGUS_SHARED"] { return URL(fileURLWithPath: env) }
        return repoRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }

    /// Loads a JSON file from tools/mask_fixtures.
    static func fixture(_ name: String) throws -> [String: Any] {
        let url = repoRoot.appendingPathComponent("tools/mask_fixtures").appendingPathComponent(name)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// Loads a JSON file under ../shared, or skips the test when it is absent.
    static func sharedJSON(_ relative: String) throws -> [String: Any] {
        let url = shared.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(url.path) not found: the shared datasets are not next to the repository")
        }
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }
}
