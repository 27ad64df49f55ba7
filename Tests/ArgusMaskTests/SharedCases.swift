import Foundation
import XCTest

/// Locates `../shared/eval` next to the repository, or `$ARGUS_SHARED/eval` (the conformance data is not committed).
enum SharedEval {
    static var directory: URL {
        if let env = ProcessInfo.processInfo.environment["ARGUS_SHARED"] {
            return URL(fileURLWithPath: env).appendingPathComponent("eval")
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/eval")
    }

    /// Loads a JSON file from `../shared/eval`, or skips the test when it is absent.
    static func load(_ name: String) throws -> [String: Any] {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(url.path) not found: the shared conformance data is not next to the repository")
        }
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        guard let dict = obj as? [String: Any] else { throw XCTSkip("\(name) is not a JSON object") }
        return dict
    }
}

extension Array where Element == Any {
    var doubles: [Double] { map { ($0 as! NSNumber).doubleValue } }
}
