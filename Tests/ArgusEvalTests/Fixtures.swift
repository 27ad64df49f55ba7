import ArgusTestSupport
import Foundation
import XCTest

/// The committed conformance cases (`tools/eval_fixtures`); the shared ones (`eval/` of the shared data folder)
/// come from ArgusTestSupport's `SharedData`.
enum EvalFixtures {
    static var toolsFixtures: URL { Repository.url("tools/eval_fixtures") }

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
