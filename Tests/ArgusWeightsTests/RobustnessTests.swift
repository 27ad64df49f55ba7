import CZlib
import ArgusTestSupport
import XCTest
@testable import ArgusWeights

/// Truncated, bit-flipped and hand-broken checkpoints: loading either succeeds or throws a
/// `WeightsError`; it never traps, hangs or allocates without bound.
final class RobustnessTests: XCTestCase {
    private let files = ["state_dict.pt", "module.pt", "misc_p5.pt", "ckpt_ema.pt", "zip64_deflated.pt",
                         "nested.pt", "tensors.safetensors", "legacy_state_dict.pt", "legacy_module.pt"]

    /// Loads and reads everything a caller could read; only WeightsError may escape.
    private func exercise(_ bytes: [UInt8], _ what: String) {
        do {
            let ckpt = try Checkpoint(bytes: bytes)
            for name in ckpt.names {
                _ = try? ckpt.tensor(name)
                _ = try? ckpt.int64s(name)
            }
            _ = ckpt.summary()
            _ = ckpt.root.description
        } catch {
            XCTAssertTrue(error is WeightsError, "\(what): \(error)")
        }
    }

    func testTruncationsAtManyPositions() throws {
        for file in files {
            let bytes = try Fixtures.bytes(file)
            let step = max(1, bytes.count / 300)
            for cut in stride(from: 0, to: bytes.count, by: step) {
                exercise(Array(bytes[..<cut]), "\(file) cut at \(cut)")
            }
        }
    }

    func testBitFlipsAtManyPositions() throws {
        var rng = SplitMix64(seed: 7)
        for file in files {
            let bytes = try Fixtures.bytes(file)
            for _ in 0..<400 {
                var mutated = bytes
                let position = Int(rng.next() % UInt64(bytes.count))
                mutated[position] ^= UInt8(1 << (rng.next() % 8))
                exercise(mutated, "\(file) bit flip at \(position)")
            }
        }
    }

    /// Zip CRCs catch most flips above; here the pickle itself is mutated and the archive
    /// rebuilt with valid CRCs, so every mutation reaches the unpickler and the state-dict walk.
    func testMutatedPicklesBehindValidCRCs() throws {
        var rng = SplitMix64(seed: 11)
        for file in ["state_dict.pt", "module.pt", "misc_p5.pt", "ckpt_ema.pt"] {
            let entries = try TestZip.entries(Fixtures.bytes(file))
            let pickleIndex = try XCTUnwrap(entries.firstIndex { $0.name.hasSuffix("/data.pkl") })
            let pickle = entries[pickleIndex].data
            for round in 0..<500 {
                var mutated = pickle
                switch round % 4 {
                case 0: mutated[Int(rng.next() % UInt64(pickle.count))] ^= UInt8(1 << (rng.next() % 8))
                case 1: mutated[Int(rng.next() % UInt64(pickle.count))] = UInt8(truncatingIfNeeded: rng.next())
                case 2: mutated = Array(mutated[..<Int(rng.next() % UInt64(pickle.count))])
                default:
                    let at = Int(rng.next() % UInt64(pickle.count - 4))
                    mutated.replaceSubrange(at..<(at + 4), with: [0xFF, 0xFF, 0xFF, 0x7F])
                }
                var rebuilt = entries
                rebuilt[pickleIndex].data = mutated
                exercise(TestZip.write(rebuilt), "\(file) pickle mutation \(round)")
            }
        }
    }

    func testStorageShorterThanItsTensors() throws {
        var entries = try TestZip.entries(Fixtures.bytes("state_dict.pt"))
        let ckpt = try Checkpoint(bytes: TestZip.write(entries))
        let key = try ckpt.stored("base").storage.key
        let index = try XCTUnwrap(entries.firstIndex { $0.name.hasSuffix("/data/" + key) })
        entries[index].data.removeLast(4)
        XCTAssertThrowsError(try Checkpoint(bytes: TestZip.write(entries))) { error in
            guard case WeightsError.corrupt = error else { return XCTFail("\(error)") }
        }
        entries.remove(at: index)
        XCTAssertThrowsError(try Checkpoint(bytes: TestZip.write(entries))) { error in
            XCTAssertTrue("\(error)".contains("missing"), "\(error)")
        }
    }

    func testZipWithoutDataPickle() throws {
        let entries = try TestZip.entries(Fixtures.bytes("state_dict.pt")).filter { !$0.name.hasSuffix("data.pkl") }
        XCTAssertThrowsError(try Checkpoint(bytes: TestZip.write(entries))) { error in
            guard case WeightsError.notACheckpoint = error else { return XCTFail("\(error)") }
        }
    }

    func testDeflateSizeMustMatchTheStream() throws {
        let bytes = try Fixtures.bytes("zip64_deflated.pt")
        let zip = try ZipArchive(bytes: bytes[...])
        let entry = try XCTUnwrap(zip.entries.first { $0.method == 8 })
        let expected = try zip.data(of: entry)
        // The raw stream sits after the local header's name and extra field.
        let local = entry.localHeaderOffset
        let start = local + 30 + Int(bytes[local + 26]) + Int(bytes[local + 27]) << 8
            + Int(bytes[local + 28]) + Int(bytes[local + 29]) << 8
        let raw = bytes[start..<(start + entry.compressedSize)]
        XCTAssertEqual(try Zlib.inflateRaw(raw, size: entry.size, name: "x")[...], expected)
        // A header claiming 1 GB (or one byte too many or too few) is refused, without allocating 1 GB.
        for lie in [1 << 30, entry.size + 1, entry.size - 1] {
            XCTAssertThrowsError(try Zlib.inflateRaw(raw, size: lie, name: "x"))
        }
        XCTAssertThrowsError(try Zlib.inflateRaw(raw.dropLast(3), size: entry.size, name: "x"))
    }

    /// A true claim can still be a bomb: 32 MiB of zeros deflate to 32 KB. Refused from the sizes alone (nothing
    /// inflated); 1 MiB of zeros (under the 16 MiB allowance) and a 2:1 entry still load.
    func testDeflatedZerosOverTheRatioAreRefusedAsABomb() throws {
        let bomb = try Self.zipOfOneDeflatedEntry([UInt8](repeating: 0, count: 32 << 20))
        XCTAssertLessThan(bomb.count, 64 << 10)
        let zip = try ZipArchive(bytes: bomb[...])
        XCTAssertThrowsError(try zip.data(of: zip.entries[0])) { error in
            XCTAssertTrue("\(error)".contains("zip bomb"), "\(error)")
        }
        var state: UInt64 = 1
        let nibbles = (0 ..< (20 << 20)).map { _ -> UInt8 in  // random 4-bit values: about 2:1, over the allowance
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 60)
        }
        for payload in [[UInt8](repeating: 0, count: 1 << 20), nibbles] {
            let ok = try ZipArchive(bytes: try Self.zipOfOneDeflatedEntry(payload)[...])
            XCTAssertEqual(try ok.data(of: ok.entries[0]).count, payload.count)
        }
    }

    /// A zip archive holding `payload` as one raw-deflated entry named "w".
    private static func zipOfOneDeflatedEntry(_ payload: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw XCTSkip("zlib deflate unavailable") }
        defer { deflateEnd(&stream) }
        var compressed = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(payload.count))))
        var input = payload
        let written: Int = input.withUnsafeMutableBytes { inBuf in
            compressed.withUnsafeMutableBytes { outBuf in
                stream.next_in = inBuf.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(outBuf.count)
                _ = deflate(&stream, Z_FINISH)
                return outBuf.count - Int(stream.avail_out)
            }
        }
        compressed.removeLast(compressed.count - written)
        func le(_ value: Int, _ width: Int) -> [UInt8] { (0 ..< width).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        let crc = Int(Zlib.crc32(payload[...]))
        let sizes = le(crc, 4) + le(compressed.count, 4) + le(payload.count, 4)
        let local = le(0x0403_4B50, 4) + le(20, 2) + le(0, 2) + le(8, 2) + le(0, 4) + sizes + le(1, 2) + le(0, 2) + [0x77]
        let central = le(0x0201_4B50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(8, 2) + le(0, 4) + sizes
            + le(1, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0, 4) + [0x77]
        let end = le(0x0605_4B50, 4) + le(0, 2) + le(0, 2) + le(1, 2) + le(1, 2) + le(central.count, 4)
            + le(local.count + compressed.count, 4) + le(0, 2)
        return local + compressed + central + end
    }

    func testSizeOneDimensionWithHugeStride() throws {
        // torch allows any stride on a size-1 dimension; reading must not overflow.
        let storage = StorageRef(key: "0", typeName: "torch.FloatStorage", dtype: .float32, location: "cpu", count: 4)
        let t = StoredTensor(storage: storage, dtype: .float32, storageOffset: 0, shape: [2, 1, 2], stride: [1, Int.max, 2])
        XCTAssertFalse(t.isContiguous)
        let bytes: [UInt8] = [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40]  // 1, 2, 3, 4
        XCTAssertEqual(try TensorDecoding.floats(t, bytes: bytes[...], name: "t", bigEndian: false), [1, 3, 2, 4])
        XCTAssertEqual(try TensorDecoding.doubles(t, bytes: bytes[...], name: "t", bigEndian: false), [1, 3, 2, 4])
    }

    func testViewValidationCatchesOverflowAndOutOfRange() {
        let storage = StorageRef(key: "0", typeName: "torch.FloatStorage", dtype: .float32, location: "cpu", count: 10)
        func view(_ offset: Int, _ shape: [Int], _ stride: [Int]) -> StoredTensor {
            StoredTensor(storage: storage, dtype: .float32, storageOffset: offset, shape: shape, stride: stride)
        }
        XCTAssertEqual(try view(0, [2, 5], [5, 1]).validate(available: 10, name: "t"), 10)
        XCTAssertEqual(try view(9, [0, 7], [1, 1]).validate(available: 10, name: "t"), 0)
        XCTAssertThrowsError(try view(1, [2, 5], [5, 1]).validate(available: 10, name: "t"))
        XCTAssertThrowsError(try view(0, [1 << 40, 1 << 40], [1, 1]).validate(available: 10, name: "t"))
        XCTAssertThrowsError(try view(0, [2, 2], [Int.max / 2, Int.max / 2]).validate(available: 10, name: "t"))
        XCTAssertThrowsError(try view(0, [1 << 40], [0]).validate(available: 10, name: "t"))
        XCTAssertThrowsError(try view(-1, [1], [1]).validate(available: 10, name: "t"))
        XCTAssertThrowsError(try view(0, [2], [-1]).validate(available: 10, name: "t"))
        XCTAssertThrowsError(try view(0, [2, 2], [1]).validate(available: 10, name: "t"))
    }
}
