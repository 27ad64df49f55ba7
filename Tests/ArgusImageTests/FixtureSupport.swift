import Foundation
import XCTest

/// Fixture files (Tests/ArgusImageTests/Fixtures, written by tools/gen_image_fixtures.py).
enum Fixtures {
    static func url(_ name: String, subdirectory: String = "Fixtures") -> URL? {
        let base = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
        return Bundle.module.url(forResource: base, withExtension: ext.isEmpty ? nil : ext, subdirectory: subdirectory)
    }

    static func bytes(_ name: String, subdirectory: String = "Fixtures") throws -> [UInt8] {
        let found = try XCTUnwrap(url(name, subdirectory: subdirectory), "missing fixture \(subdirectory)/\(name)")
        return [UInt8](try Data(contentsOf: found))
    }

    static func json<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(try bytes(name)))
    }
}

/// The generator's pixel source: x = x*1664525 + 1013904223 (mod 2^32), byte = x >> 24.
func lcgBytes(seed: Int, count: Int, binary: Bool = false) -> [UInt8] {
    var x = UInt32(truncatingIfNeeded: seed)
    var out = [UInt8](repeating: 0, count: count)
    for i in 0 ..< count {
        x = x &* 1664525 &+ 1013904223
        let byte = UInt8(x >> 24)
        out[i] = binary ? (byte >= 128 ? 255 : 0) : byte
    }
    return out
}
