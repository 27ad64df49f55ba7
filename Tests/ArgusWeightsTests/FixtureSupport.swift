import Foundation
import XCTest
import ArgusTensor
@testable import ArgusWeights

/// Fixtures written by tools/gen_weight_fixtures.py (torch 2.13) and what torch read back.
enum Fixtures {
    static func url(_ name: String) throws -> URL {
        let base = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        guard let url = Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures") else {
            throw XCTSkip("fixture \(name) missing: run tools/gen_weight_fixtures.py")
        }
        return url
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(name)))
    }

    static func load(_ name: String) throws -> Checkpoint {
        try Checkpoint.load(contentsOf: url(name).path)
    }

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: url(name))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The expectations for one fixture file from expected.json.
    static func expected(_ file: String) throws -> [String: Any] {
        try XCTUnwrap(json("expected.json")[file] as? [String: Any], "no expectations for \(file)")
    }
}

/// Float32 values from the generator's bit patterns (JSON ints).
func floatsFromBits(_ any: Any?) -> [Float]? {
    (any as? [NSNumber]).map { $0.map { Float(bitPattern: $0.uint32Value) } }
}

/// Float64 values from the generator's bit patterns (decimal strings).
func doublesFromBits(_ any: Any?) -> [Double]? {
    (any as? [String]).map { $0.map { Double(bitPattern: UInt64($0)!) } }
}

/// Exact equality, with NaN equal to NaN and the sign of zero respected.
func sameFloat(_ a: Float, _ b: Float) -> Bool {
    (a.isNaN && b.isNaN) || a.bitPattern == b.bitPattern
}

func sameDouble(_ a: Double, _ b: Double) -> Bool {
    (a.isNaN && b.isNaN) || a.bitPattern == b.bitPattern
}

/// Checks every named tensor of `ckpt` against the generator's record: names in order, dtype,
/// shape, every Float32 value bit for bit, Float64 and Int64 values exactly.
func assertMatchesExpected(_ ckpt: Checkpoint, _ expected: [String: Any], file: StaticString = #filePath, line: UInt = #line) throws {
    let names = try XCTUnwrap(expected["names"] as? [String])
    XCTAssertEqual(ckpt.names, names, file: file, line: line)
    let tensors = try XCTUnwrap(expected["tensors"] as? [String: [String: Any]])
    for name in names {
        let rec = try XCTUnwrap(tensors[name])
        let info = try XCTUnwrap(ckpt.info(name), "no info for \(name)", file: file, line: line)
        XCTAssertEqual(info.dtype, rec["dtype"] as? String, name, file: file, line: line)
        XCTAssertEqual(info.shape, rec["shape"] as? [Int], name, file: file, line: line)
        let t = try ckpt.tensor(name)
        XCTAssertEqual(t.shape, info.shape, name, file: file, line: line)
        let floats = try XCTUnwrap(floatsFromBits(rec["float_bits"]))
        XCTAssertEqual(t.storage.count, floats.count, name, file: file, line: line)
        for (k, (got, want)) in zip(t.storage, floats).enumerated() where !sameFloat(got, want) {
            XCTFail("\(name)[\(k)]: \(got) != \(want)", file: file, line: line)
            break
        }
        if let doubles = doublesFromBits(rec["double_bits"]) {
            let got = try ckpt.doubles(name)
            XCTAssertEqual(got.count, doubles.count, name, file: file, line: line)
            for (g, w) in zip(got, doubles) where !sameDouble(g, w) {
                XCTFail("\(name): \(g) != \(w)", file: file, line: line)
            }
        }
        if let ints = rec["ints"] as? [NSNumber] {
            XCTAssertEqual(try ckpt.int64s(name), ints.map(\.int64Value), name, file: file, line: line)
        }
    }
}
