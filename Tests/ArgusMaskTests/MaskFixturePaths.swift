import ArgusTestSupport
import Foundation
import XCTest

/// The committed fixtures of the mask-encoding tests (`tools/mask_fixtures`); shared files (`eval/`, `datasets/`)
/// come from ArgusTestSupport's `SharedData`.
enum MaskFixturePaths {
    /// Loads a JSON file from tools/mask_fixtures.
    static func fixture(_ name: String) throws -> [String: Any] {
        let url = Repository.url("tools/mask_fixtures").appendingPathComponent(name)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }
}

extension Array where Element == Any {
    var doubles: [Double] { map { ($0 as! NSNumber).doubleValue } }
}
