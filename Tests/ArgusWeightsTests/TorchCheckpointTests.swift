import XCTest
import ArgusTensor
@testable import ArgusWeights

/// PyTorch zip checkpoints written by torch.save, compared with what torch.load reads.
final class TorchCheckpointTests: XCTestCase {
    func testStateDictAllDTypesAndViews() throws {
        let ckpt = try Fixtures.load("state_dict.pt")
        XCTAssertEqual(ckpt.format, .pytorch)
        XCTAssertNil(ckpt.model)
        try assertMatchesExpected(ckpt, Fixtures.expected("state_dict.pt"))
    }

    func testViewsShareOneStorage() throws {
        let ckpt = try Fixtures.load("state_dict.pt")
        let base = try ckpt.stored("base"), transposed = try ckpt.stored("transposed")
        let sliced = try ckpt.stored("sliced"), expanded = try ckpt.stored("expanded")
        XCTAssertEqual(base.storage.key, transposed.storage.key)
        XCTAssertEqual(base.storage.key, sliced.storage.key)
        XCTAssertEqual(transposed.stride, [1, 4])
        XCTAssertFalse(transposed.isContiguous)
        XCTAssertEqual(sliced.storageOffset, 5)
        XCTAssertEqual(expanded.stride, [0, 0])
        XCTAssertEqual(try ckpt.stored("shared_a").storage.key, try ckpt.stored("shared_b").storage.key)
        XCTAssertEqual(try ckpt.stored("shared_b").storageOffset, 6)
        // The transpose read through its strides equals the base transposed by hand.
        let b = try ckpt.tensor("base"), t = try ckpt.tensor("transposed")
        for i in 0..<3 { for j in 0..<4 { XCTAssertEqual(t.storage[j * 3 + i], b.storage[i * 4 + j]) } }
    }

    func testScalarAndEmpty() throws {
        let ckpt = try Fixtures.load("state_dict.pt")
        XCTAssertEqual(try ckpt.tensor("scalar").shape, [])
        XCTAssertEqual(try ckpt.tensor("scalar").storage, [2.75])
        XCTAssertEqual(try ckpt.tensor("empty").shape, [0, 3])
        XCTAssertEqual(try ckpt.tensor("empty").storage, [])
    }

    func testProtocol4SameTensors() throws {
        try assertMatchesExpected(try Fixtures.load("state_dict_p4.pt"), Fixtures.expected("state_dict_p4.pt"))
    }

    func testZip64DeflatedOtherFolderName() throws {
        let ckpt = try Fixtures.load("zip64_deflated.pt")
        try assertMatchesExpected(ckpt, Fixtures.expected("zip64_deflated.pt"))
    }

    func testUntypedStorageWithExplicitDType() throws {
        // uint16/uint32 travel as torch.storage.UntypedStorage + _rebuild_tensor_v3(..., dtype).
        let ckpt = try Fixtures.load("v3_dtypes.pt")
        try assertMatchesExpected(ckpt, Fixtures.expected("v3_dtypes.pt"))
        XCTAssertEqual(try ckpt.stored("u16").storage.typeName, "torch.storage.UntypedStorage")
        XCTAssertEqual(try ckpt.int64s("u32"), [7, 4_000_000_000])
    }

    func testUnconvertibleDTypeIsListedButNotRead() throws {
        let ckpt = try Fixtures.load("float8.pt")
        XCTAssertEqual(ckpt.info("f8"), StoredTensorInfo(dtype: "torch.float8_e4m3fn", shape: [2]))
        XCTAssertThrowsError(try ckpt.tensor("f8")) { error in
            XCTAssertEqual(error as? WeightsError, .unsupportedDType("torch.float8_e4m3fn"))
        }
        XCTAssertTrue(ckpt.summary().contains("f8  torch.float8_e4m3fn  [2]"))
    }

    func testBigEndianArchive() throws {
        // What a big-endian machine's torch.save writes: byteorder "big", every element byte-swapped.
        let little = try Fixtures.load("state_dict.pt")
        var sizes: [String: Int] = [:]
        for name in little.names { let s = try little.stored(name).storage; sizes[s.key] = s.dtype!.size }
        var entries = try TestZip.entries(Fixtures.bytes("state_dict.pt"))
        for i in entries.indices {
            if entries[i].name.hasSuffix("/byteorder") { entries[i].data = Array("big".utf8) }
            guard let slash = entries[i].name.range(of: "/data/"),
                  let size = sizes[String(entries[i].name[slash.upperBound...])] else { continue }
            for start in stride(from: 0, to: entries[i].data.count, by: size) {
                entries[i].data[start..<(start + size)].reverse()
            }
        }
        let big = try Checkpoint(bytes: TestZip.write(entries))
        try assertMatchesExpected(big, Fixtures.expected("state_dict.pt"))
    }

    func testLegacyFormatStateDict() throws {
        let ckpt = try Fixtures.load("legacy_state_dict.pt")
        XCTAssertEqual(ckpt.format, .pytorchLegacy)
        try assertMatchesExpected(ckpt, Fixtures.expected("legacy_state_dict.pt"))
    }

    func testLegacyFormatWholeModule() throws {
        let ckpt = try Fixtures.load("legacy_module.pt")
        let expected = try Fixtures.expected("legacy_module.pt")
        XCTAssertEqual(ckpt.format, .pytorchLegacy)
        try assertMatchesExpected(ckpt, expected)
        XCTAssertEqual(ckpt.model?.className, expected["cls"] as? String)
        XCTAssertEqual(ckpt.model?["names"]?.strings, expected["names_attr"] as? [String])
        XCTAssertEqual(ckpt.model?["nc"]?.int, expected["nc"] as? Int)
    }

    func testNestedStateDict() throws {
        let ckpt = try Fixtures.load("nested.pt")
        try assertMatchesExpected(ckpt, Fixtures.expected("nested.pt"))
        XCTAssertEqual(ckpt.root["epoch"]?.int, 3)
        XCTAssertEqual(ckpt.root["optimizer"]?.isNone, true)
    }

    func testWholePickledModule() throws {
        let ckpt = try Fixtures.load("module.pt")
        let expected = try Fixtures.expected("module.pt")
        try assertMatchesExpected(ckpt, expected)
        let model = try XCTUnwrap(ckpt.model)
        XCTAssertEqual(model.className, expected["cls"] as? String)
        XCTAssertEqual(model["names"]?.strings, expected["names_attr"] as? [String])
        XCTAssertEqual(model["nc"]?.int, expected["nc"] as? Int)
        let yaml = try XCTUnwrap(expected["yaml"] as? [String: Any])
        XCTAssertEqual(model["yaml"]?["depth_multiple"]?.double, yaml["depth_multiple"] as? Double)
        XCTAssertEqual(model["yaml"]?["width_multiple"]?.double, yaml["width_multiple"] as? Double)
        XCTAssertEqual(model["yaml"]?["backbone"]?[0]?[2]?.string, "Conv")
        let stride = try ckpt.tensor(XCTUnwrap(model["stride"]?.tensor))
        XCTAssertEqual(stride.storage, (expected["stride"] as? [Double])?.map { Float($0) })
        // The non-persistent buffer and the None parameter are not state-dict entries.
        XCTAssertFalse(ckpt.names.contains { $0.hasSuffix("scratch") || $0.hasSuffix("unused") })
    }

    func testTrainingCheckpointPrefersEMA() throws {
        let ckpt = try Fixtures.load("ckpt_ema.pt")
        try assertMatchesExpected(ckpt, Fixtures.expected("ckpt_ema.pt"))
        XCTAssertEqual(ckpt.model?.className, "__main__.TinyNet")
        XCTAssertEqual(ckpt.root["epoch"]?.int, 5)
        // The half-precision "model" entry is there too, but the names come from "ema" (float32).
        XCTAssertEqual(ckpt.info("model.0.weight")?.dtype, "float32")
        XCTAssertEqual(ckpt.root["model"]?.className, "__main__.TinyNet")
    }

    func testPlainPythonValues() throws {
        let ckpt = try Fixtures.load("misc_p5.pt")
        let root = ckpt.root
        XCTAssertEqual(root["none"], PickleValue.none)
        XCTAssertEqual(root["t"]?.bool, true)
        XCTAssertEqual(root["f"]?.bool, false)
        XCTAssertEqual(root["small"]?.int, 7)
        XCTAssertEqual(root["neg"]?.int, -300)
        XCTAssertEqual(root["i32"]?.int, 2_147_483_647)
        XCTAssertEqual(root["negbig"]?.int, -(1 << 40))
        // 2**70 as little-endian two's complement: bit 70 is bit 6 of byte 8.
        XCTAssertEqual(root["big"], .bigInt([0, 0, 0, 0, 0, 0, 0, 0, 0x40]))
        XCTAssertEqual(root["pi"]?.double, 3.141592653589793)
        XCTAssertEqual(root["text"]?.string, "héllo ✓")
        XCTAssertEqual(root["bytes"], .bytes([0, 1, 255]))
        XCTAssertEqual(root["bytearray"], .bytes([97, 98]))
        XCTAssertEqual(root["tuple"], .tuple([.int(1), .string("two"), .float(3.0)]))
        XCTAssertEqual(root["list"], .list([.int(1), .list([.int(2), .list([.int(3)])])]))
        XCTAssertEqual(root["set"], .set([.int(5)]))
        XCTAssertEqual(root["frozenset"], .set([.string("x")]))
        XCTAssertEqual(root["slice"]?.className, "builtins.slice")
        XCTAssertEqual(root["slice"]?.object?.args, [.int(1), .int(10), .int(2)])
        XCTAssertEqual(root["size"], .tuple([.int(2), .int(3)]))
        XCTAssertEqual(root["device"]?.string, "cpu")
        XCTAssertEqual(root["dtype"], .global(module: "torch", name: "float16"))
        XCTAssertEqual(root["intkeys"]?.dict?[2], .string("b"))
        XCTAssertEqual(ckpt.names, ["tensor"])
        XCTAssertEqual(try ckpt.tensor("tensor").storage, [1.5, -2.0])
    }

    func testMissingNameSuggestsCloseNames() throws {
        let ckpt = try Fixtures.load("module.pt")
        XCTAssertThrowsError(try ckpt.tensor("model.1.runing_mean")) { error in
            guard case let WeightsError.missingTensor(name, suggestions) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "model.1.runing_mean")
            XCTAssertEqual(suggestions.first, "model.1.running_mean")
            XCTAssertTrue(suggestions.contains("model.1.running_var"))
            XCTAssertTrue("\(error)".contains("did you mean"))
        }
    }

    func testWrongShapeIsAnError() throws {
        let ckpt = try Fixtures.load("module.pt")
        XCTAssertEqual(try ckpt.tensor("model.0.weight", shape: [4, 3, 3, 3]).shape, [4, 3, 3, 3])
        XCTAssertThrowsError(try ckpt.tensor("model.0.weight", shape: [4, 3, 1, 1])) { error in
            XCTAssertEqual(error as? WeightsError,
                           .shapeMismatch(name: "model.0.weight", expected: [4, 3, 1, 1], found: [4, 3, 3, 3]))
        }
    }

    func testIntegersRefuseFloatTensors() throws {
        let ckpt = try Fixtures.load("state_dict.pt")
        XCTAssertThrowsError(try ckpt.int64s("f32")) { error in
            guard case WeightsError.dtypeMismatch = error else { return XCTFail("\(error)") }
        }
    }

    func testMissingFileAndNonCheckpoint() throws {
        XCTAssertThrowsError(try Checkpoint.load(contentsOf: "/nonexistent/x.pt")) { error in
            guard case WeightsError.io = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try Checkpoint(bytes: Array("hello, world".utf8))) { error in
            guard case WeightsError.notACheckpoint = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try Checkpoint(bytes: []))
    }
}
