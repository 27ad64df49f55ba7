import XCTest
import ArgusTensor
@testable import ArgusWeights

/// A safetensors file laid out per the format's specification, holding torch's tensors.
final class SafetensorsTests: XCTestCase {
    func testAllDTypesMatchTorch() throws {
        let ckpt = try Fixtures.load("tensors.safetensors")
        XCTAssertEqual(ckpt.format, .safetensors)
        try assertMatchesExpected(ckpt, Fixtures.expected("tensors.safetensors"))
    }

    func testMetadata() throws {
        let ckpt = try Fixtures.load("tensors.safetensors")
        let expected = try XCTUnwrap(Fixtures.expected("tensors.safetensors")["metadata"] as? [String: String])
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: ckpt.metadata.map { ($0.key, $0.value) }), expected)
    }

    /// Builds a safetensors file from a header text and data bytes.
    private func file(_ header: String, _ data: [UInt8]) -> [UInt8] {
        let h = Array(header.utf8)
        var out: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: h.count >> (8 * $0)) }
        out += h
        out += data
        return out
    }

    func testHandBuiltFile() throws {
        // 1.0 and -2.0 as F32, then one BF16 1.5 (0x3FC0).
        let data: [UInt8] = [0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0, 0xC0, 0x3F]
        let header = #"{"b":{"dtype":"BF16","shape":[1],"data_offsets":[8,10]},"a":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]}}"#
        let ckpt = try Checkpoint(bytes: file(header, data))
        XCTAssertEqual(ckpt.names, ["a", "b"])
        XCTAssertEqual(try ckpt.tensor("a"), Tensor(shape: [2, 1], storage: [1, -2]))
        XCTAssertEqual(try ckpt.tensor("b").storage, [1.5])
    }

    func testInconsistentHeadersAreErrors() {
        let data = [UInt8](repeating: 0, count: 8)
        let bad = [
            #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,     // size mismatch
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}"#,    // beyond the data
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#,     // reversed
            #"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#,    // negative dim
            #"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, // overflow
            #"{"a":{"dtype":"F32","shape":[2]}}"#,                          // no offsets
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#,      // bad JSON
            #"[1,2,3,4,5,6,7,8,9]"#,                                        // not an object
        ]
        for header in bad {
            XCTAssertThrowsError(try Checkpoint(bytes: file(header, data)), header)
        }
        var huge = file("{}", data)
        huge.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        XCTAssertThrowsError(try Checkpoint(bytes: huge))
    }

    func testUnsupportedDTypeLoadsButDoesNotConvert() throws {
        let header = #"{"c":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#
        let ckpt = try Checkpoint(bytes: file(header, [UInt8](repeating: 0, count: 8)))
        XCTAssertEqual(ckpt.info("c")?.dtype, "C64")
        XCTAssertThrowsError(try ckpt.tensor("c")) { error in
            XCTAssertEqual(error as? WeightsError, .unsupportedDType("C64"))
        }
    }
}
