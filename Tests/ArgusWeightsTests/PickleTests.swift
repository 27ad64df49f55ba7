import XCTest
@testable import ArgusWeights

/// Hand-made pickle streams: opcodes outside torch's usual output, and hostile inputs that must
/// be refused with an error rather than a crash or a huge allocation.
final class PickleTests: XCTestCase {
    private func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    func testProtocol0TextOpcodes() throws {
        // What Python 3 pickle.loads gives: [1, True, 2.5, 'a\nb', 'hé', 12345678901, {'k': 5}]
        let stream = Array("(lp0\nI1\naI01\naF2.5\naS'a\\nb'\np1\naVh\\u00e9\np2\naL12345678901L\na(S'k'\nI5\ndp3\na.".utf8)
        var dict = PickleDict()
        dict.set(.int(5), for: .string("k"))
        XCTAssertEqual(try PickleValue(pickle: stream),
                       .list([.int(1), .bool(true), .float(2.5), .string("a\nb"), .string("hé"), .int(12_345_678_901), .dict(dict)]))
    }

    func testNumpyScalars() throws {
        // pickle.dumps(np.float64(0.5), protocol=2): bytes travel through _codecs.encode.
        let p2 = bytes("8002636e756d70792e5f636f72652e6d756c746961727261790a7363616c61720a7100636e756d70790a64747970650a71015802000000663871028988877103527104284b0358010000003c71054e4e4e4affffffff4affffffff4b0074710662635f636f646563730a656e636f64650a71075809000000000000000000c3a03f710858060000006c6174696e31710986710a52710b86710c52710d2e")
        XCTAssertEqual(try PickleValue(pickle: p2), .float(0.5))
        // pickle.dumps({'x': np.int64(-3), 'y': np.float32(1.5)}, protocol=4)
        let p4 = bytes("800495a7000000000000007d94288c0178948c166e756d70792e5f636f72652e6d756c74696172726179948c067363616c61729493948c056e756d7079948c0564747970659493948c02693894898887945294284b038c013c944e4e4e4affffffff4affffffff4b007494624308fdffffffffffffff94869452948c017994680468078c02663494898887945294284b03680b4e4e4e4affffffff4affffffff4b0074946243040000c03f9486945294752e")
        let v = try PickleValue(pickle: p4)
        XCTAssertEqual(v["x"], .int(-3))
        XCTAssertEqual(v["y"], .float(1.5))
    }

    func testUnknownClassBecomesObject() throws {
        // foo.bar.Baz() then BUILD with {"a": 1}
        let stream: [UInt8] = [0x80, 0x02] + Array("cfoo.bar\nBaz\n".utf8) + [0x29, 0x52, 0x7D, 0x28, 0x58, 1, 0, 0, 0, 0x61, 0x4B, 1, 0x75, 0x62, 0x2E]
        let v = try PickleValue(pickle: stream)
        XCTAssertEqual(v.className, "foo.bar.Baz")
        XCTAssertEqual(v["a"]?.int, 1)
    }

    func testLongEncodings() {
        XCTAssertEqual(PickleText.long([]), .int(0))
        XCTAssertEqual(PickleText.long([0xFF]), .int(-1))
        XCTAssertEqual(PickleText.long([0xFF, 0x00]), .int(255))
        XCTAssertEqual(PickleText.long([0, 0, 0, 0, 0, 0, 0, 0x80]), .int(Int.min))
        XCTAssertEqual(PickleText.long([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00]), .int(Int.max))
        XCTAssertEqual(PickleText.long([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]),
                       .bigInt([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]))
    }

    private func assertRefused(_ stream: [UInt8], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try PickleValue(pickle: stream), message, file: file, line: line) { error in
            XCTAssertTrue(error is WeightsError, "\(error)", file: file, line: line)
        }
    }

    func testHostileStreamsAreErrors() {
        assertRefused([], "empty")
        assertRefused([0x80, 0x02, 0x4E], "no STOP")
        assertRefused([0x80, 0x02, 0x68, 0x05, 0x2E], "memo reference out of range")
        assertRefused([0x80, 0x02, 0x6A, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E], "LONG_BINGET out of range")
        assertRefused([0x80, 0x02, 0x61, 0x2E], "APPEND on an empty stack")
        assertRefused([0x80, 0x02, 0x65, 0x2E], "APPENDS without MARK")
        assertRefused([0x80, 0x02, 0x4B, 0x01, 0x61, 0x2E], "APPEND to a non-list")
        assertRefused([0x80, 0x02, 0xFF, 0x2E], "unknown opcode")
        assertRefused([0x80, 0x02, 0x82, 0x01, 0x2E], "EXT1")
        assertRefused([0x80, 0x09, 0x4E, 0x2E], "protocol 9")
        assertRefused([0x80, 0x04, 0x8D] + [UInt8](repeating: 0xFF, count: 8) + [0x2E], "BINUNICODE8 of 2^64-1 bytes")
        assertRefused([0x80, 0x04, 0x8E, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x2E], "BINBYTES8 of 2^62 bytes")
        assertRefused([0x80, 0x02, 0x8B, 0xFF, 0xFF, 0xFF, 0x7F, 0x2E], "LONG4 of 2 GB")
        assertRefused([0x80, 0x02, 0x58, 0x02, 0, 0, 0, 0xC3, 0x28, 0x2E], "invalid UTF-8")
        assertRefused([0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E], "list containing itself")
        assertRefused([0x80, 0x02, 0x29, 0x51, 0x2E], "persistent id that is not a storage")
        assertRefused([0x80, 0x02, 0x4B, 0x01, 0x29, 0x52, 0x2E], "calling an int")
    }

    func testDeepNestingIsRefusedWithoutCrashing() {
        let depth = 200_000
        let lists = [0x80, 0x02] + [UInt8](repeating: 0x5D, count: depth) + [UInt8](repeating: 0x61, count: depth - 1) + [0x2E]
        assertRefused(lists, "deeply nested lists")
        let tuples = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: depth) + [0x2E]
        assertRefused(tuples, "deeply nested tuples")
        let nestable = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: Unpickler.maxDepth - 1) + [0x2E]
        XCTAssertNoThrow(try PickleValue(pickle: nestable))
    }

    func testSharedStructureStaysLinear() throws {
        // L0 = []; L(k) = [L(k-1), L(k-1)] for 60 levels: 2^60 leaves if expanded naively.
        var stream: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0]
        for k in 1...60 {
            stream += [0x5D, 0x28, 0x68, UInt8(k - 1), 0x68, UInt8(k - 1), 0x65, 0x71, UInt8(k)]
        }
        stream.append(0x2E)
        let value = try PickleValue(pickle: stream)
        XCTAssertEqual(value.array?.count, 2)
        XCTAssertLessThanOrEqual(value.description.count, 4097)
        XCTAssertLessThanOrEqual(value.json(maxLength: 100).count, 101)
    }
}
