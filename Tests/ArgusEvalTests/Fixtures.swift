import Foundation
import XCTest

/// Paths of the conformance data: `../shared/eval` (or `$ARGUS_SHARED/eval`) and the committed `tools/eval_fixtures`.
enum EvalFixtures {
    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var sharedEval: URL {
        if let env = ProcessInfo.processInfo.environment["ARGUS_SHARED"] {
            return URL(fileURLWithPath: env).appendingPathComponent("eval")
        }
        return repoRoot.deletingLastPathComponent().appendingPathComponent("shared/eval")
    }

    static var toolsFixtures: URL { repoRoot.appendingPathComponent("tools/eval_fixtures") }

    /// Case files (JSON objects with `expected`) in a directory, sorted by name.
    static func caseFiles(in dir: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map { dir.appendingPathComponent($0) }.filter { url in
            guard let d = try? Data(contentsOf: url),
                  let o = try? JSONSerialization.jsonObject(with: d) as? [String: Any] else { return false }
            return o["expected"] != nil
        }
    }
}
