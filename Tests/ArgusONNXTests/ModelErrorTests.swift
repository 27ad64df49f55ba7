import XCTest
import Foundation
import ArgusTensor
import ArgusONNX
import ArgusTestSupport

/// Refusals at load and at run, and no trap on damaged bytes.
final class ModelErrorTests: XCTestCase {
    static let directory = OpFixtureTests.directory

    func testRefusedFilesNameTheProblem() throws {
        let data = try Data(contentsOf: Self.directory.appendingPathComponent("cases.json"))
        let root = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let errors = root["errors"] as! [[String: String]]
        XCTAssertEqual(errors.count, 8)
        for e in errors {
            let path = Self.directory.appendingPathComponent(e["file"]!).path
            XCTAssertThrowsError(try ONNXModel(contentsOf: path), e["file"]!) { error in
                guard let error = error as? ONNXError else { return XCTFail("\(e["file"]!): \(error)") }
                switch (error, e["kind"]!) {
                case (.unsupported(let m), "unsupported"), (.malformed(let m), "malformed"):
                    XCTAssertTrue(m.contains(e["phrase"]!), "\(e["file"]!): \(m)")
                default: XCTFail("\(e["file"]!): \(error), expected \(e["kind"]!)")
                }
            }
        }
    }

    func testNotAModel() {
        XCTAssertThrowsError(try ONNXModel(bytes: []))
        XCTAssertThrowsError(try ONNXModel(bytes: Array("not an onnx file".utf8)))
        XCTAssertThrowsError(try ONNXModel(contentsOf: "/nonexistent/model.onnx"))
    }

    func testFeedsAreChecked() throws {
        let model = try ONNXModel(contentsOf: Self.directory.appendingPathComponent("conv_basic.onnx").path)
        XCTAssertEqual(model.inputs, [ONNXTensorInfo(name: "x", elementType: "FLOAT", shape: [1, 4, 9, 10])])
        XCTAssertEqual(model.outputs.map(\.name), ["y"])
        XCTAssertEqual(model.opsetVersion, 13)
        XCTAssertEqual(model.operatorTypes, ["Conv"])
        let good = Tensor(zeros: [1, 4, 9, 10])
        XCTAssertNoThrow(try model.run(["x": good]))
        XCTAssertThrowsError(try model.run([:]))
        XCTAssertThrowsError(try model.run(["x": Tensor(zeros: [1, 4, 9, 11])]))
        XCTAssertThrowsError(try model.run(["x": good, "extra": good]))
    }

    /// Truncations and bit flips of a real file: every variant throws an ONNXError or loads and runs
    /// (or refuses to run) without trapping. Uses the shared int8 YOLOv8n export when present, and a
    /// quantized-block fixture always.
    func testDamagedBytesNeverTrap() throws {
        var files = [Self.directory.appendingPathComponent("quant_block_fused.onnx").path]
        if let shared = SharedData.ifPresent("weights/onnx/yolov8n_int8_320.onnx") { files.append(shared.path) }
        var rng = SplitMix64(seed: 8)
        for path in files {
            let bytes = [UInt8](FileManager.default.contents(atPath: path)!)
            let big = bytes.count > 100_000
            var variants: [[UInt8]] = []
            for _ in 0..<(big ? 60 : 200) { variants.append(Array(bytes[..<Int(rng.next() % UInt64(bytes.count))])) }
            for _ in 0..<(big ? 60 : 300) {
                var v = bytes
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    // Flips land mostly in the structure: the first 4 KB, and anywhere else.
                    let range = rng.next() % 2 == 0 ? min(4096, v.count) : v.count
                    v[Int(rng.next() % UInt64(range))] ^= UInt8(1 << (rng.next() % 8))
                }
                variants.append(v)
            }
            var loaded = 0
            for v in variants {
                do {
                    let m = try ONNXModel(bytes: v)
                    loaded += 1
                    if !big, let input = m.inputs.first, input.shape.allSatisfy({ $0 != nil && $0! <= 64 }) {
                        _ = try? m.run([input.name: Tensor(repeating: 0.5, shape: input.shape.map { $0! })])
                    }
                } catch is ONNXError {
                } catch {
                    XCTFail("\(path): a non-ONNX error \(error)")
                }
            }
            XCTAssertGreaterThan(loaded, 0, "some bit flips only touch weights")
            XCTAssertLessThan(loaded, variants.count, "truncations must be refused")
        }
    }

    /// `run` from several threads at once gives every caller the single-threaded result.
    func testConcurrentRunsAgree() throws {
        let model = try ONNXModel(contentsOf: Self.directory.appendingPathComponent("quant_block_fused.onnx").path)
        let x = Tensor(shape: [1, 4, 9, 8], storage: (0..<288).map { Float($0 % 17) * 0.37 - 2.5 })
        let want = try model.run(["x": x])
        let results = ResultBox(count: 16)
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            results.set(i, try? model.run(["x": x]))
        }
        for i in 0..<16 { XCTAssertEqual(results.get(i), want) }
    }
}

/// Per-iteration results written from concurrentPerform.
private final class ResultBox: @unchecked Sendable {
    private var values: [[String: Tensor]?]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: [String: Tensor]?) { lock.lock(); values[i] = v; lock.unlock() }
    func get(_ i: Int) -> [String: Tensor]? { lock.lock(); defer { lock.unlock() }; return values[i] }
}

/// Load-time constant folding of the generator ops is bounded in bytes, not only in elements: found by the `onnx`
/// fuzz harness (docs/development.md#fuzzing), where a 441-byte file folded an INT64 Range of 2^28 values (2 GiB).
final class GeneratorLimitTests: XCTestCase {
    typealias Initializer = (name: String, dims: [Int64], values: [Int64])
    typealias Node = (op: String, inputs: [String], output: String, attributes: [[UInt8]])

    /// A model whose graph is one node over INT64 initializers, its output the graph's.
    static func model(op: String, initializers: [Initializer], attributes: [[UInt8]] = []) -> [UInt8] {
        model(nodes: [(op, initializers.map(\.name), "y", attributes)], initializers: initializers, outputs: ["y"])
    }

    static func model(nodes: [Node], initializers: [Initializer], outputs: [String]) -> [UInt8] {
        let tensors = initializers.map { t -> [UInt8] in
            t.dims.flatMap { Proto.varintField(1, UInt64(bitPattern: $0)) } + Proto.varintField(2, 7)
                + Proto.bytesField(8, Array(t.name.utf8))
                + Proto.bytesField(9, t.values.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } })
        }
        let nodeBytes = nodes.map { n in
            n.inputs.flatMap { Proto.bytesField(1, Array($0.utf8)) } + Proto.bytesField(2, Array(n.output.utf8))
                + Proto.bytesField(4, Array(n.op.utf8)) + n.attributes.flatMap { Proto.bytesField(5, $0) }
        }
        let graph = nodeBytes.flatMap { Proto.bytesField(1, $0) } + Proto.bytesField(2, Array("g".utf8))
            + tensors.flatMap { Proto.bytesField(5, $0) }
            + outputs.flatMap { Proto.bytesField(12, Proto.bytesField(1, Array($0.utf8))) }
        return Proto.varintField(1, 8) + Proto.bytesField(7, graph)
            + Proto.bytesField(8, Proto.varintField(2, 13))
    }

    func testSmallRangeFolds() throws {
        let bytes = Self.model(op: "Range", initializers: [("s", [], [0]), ("l", [], [5]), ("d", [], [1])])
        XCTAssertNoThrow(try ONNXModel(bytes: bytes))
    }

    func testInt64RangeOfAGibibyteIsRefused() {
        // 2^28 INT64 values: within the old element bound, 2 GiB in memory.
        let bytes = Self.model(op: "Range", initializers: [("s", [], [0]), ("l", [], [1 << 28]), ("d", [], [1])])
        XCTAssertThrowsError(try ONNXModel(bytes: bytes)) { error in
            XCTAssertTrue("\(error)".contains("too many"), "\(error)")
        }
    }

    func testInt64ConstantOfShapeOfAGibibyteIsRefused() {
        // value: a one-element INT64 tensor; shape [2^28].
        let value = Proto.varintField(1, 1) + Proto.varintField(2, 7) + Proto.bytesField(9, [UInt8](repeating: 0, count: 8))
        let attribute = Proto.bytesField(1, Array("value".utf8)) + Proto.bytesField(5, value) + Proto.varintField(20, 4)
        let bytes = Self.model(op: "ConstantOfShape", initializers: [("shape", [1], [1 << 28])], attributes: [attribute])
        XCTAssertThrowsError(try ONNXModel(bytes: bytes)) { error in
            XCTAssertTrue("\(error)".contains("too large"), "\(error)")
        }
        let small = Self.model(op: "ConstantOfShape", initializers: [("shape", [1], [3])], attributes: [attribute])
        XCTAssertNoThrow(try ONNXModel(bytes: small))
    }

    /// Found by the fuzzer (fuzz/corpus/onnx/fold-*.onnx, docs/development.md#fuzzing): nodes each within the
    /// 1 GiB node bound, together well over a gigabyte, folded before the file was refused for another reason.
    /// A generator is held to what is left of the budget before it allocates.
    func testGeneratorsFoldedAtLoadShareOneBudget() {
        // INT64 Ranges of 2^22 values: 32 MiB each.
        let ranges: [Node] = (0..<3).map { ("Range", ["s", "l", "d"], "r\($0)", []) }
        let scalars: [Initializer] = [("s", [], [0]), ("l", [], [1 << 22]), ("d", [], [1])]
        XCTAssertThrowsError(try ONNXModel(bytes: Self.model(nodes: ranges, initializers: scalars, outputs: ["r0", "r1", "r2"]))) {
            XCTAssertTrue("\($0)".contains("too many"), "\($0)")
        }
        XCTAssertNoThrow(try ONNXModel(bytes: Self.model(nodes: Array(ranges.prefix(2)), initializers: scalars, outputs: ["r0", "r1"])))
    }

    /// Any other folded op is counted after it runs: 32 + 16 + 32 MiB through two Casts.
    func testAnyFoldedOpCountsAgainstTheBudget() {
        func cast(_ to: UInt64) -> [UInt8] {
            Proto.bytesField(1, Array("to".utf8)) + Proto.varintField(3, to) + Proto.varintField(20, 2)
        }
        let nodes: [Node] = [("Range", ["s", "l", "d"], "r", []), ("Cast", ["r"], "f", [cast(1)]), ("Cast", ["f"], "i", [cast(7)])]
        let bytes = Self.model(nodes: nodes, initializers: [("s", [], [0]), ("l", [], [1 << 22]), ("d", [], [1])], outputs: ["i"])
        XCTAssertThrowsError(try ONNXModel(bytes: bytes)) {
            XCTAssertTrue("\($0)".contains("values folded at load exceed 64 MiB in all"), "\($0)")
        }
    }

    /// So is a node input that nothing defines (fuzz/corpus/onnx/fold-range-dangling-3e8aee7e.onnx: a 64 MiB Range
    /// folded, 10 s under ASan, then the file refused for a later node's missing input).
    func testDanglingInputIsRefusedBeforeFolding() {
        let bytes = Self.model(nodes: [("Range", ["s", "l", "d"], "r", []), ("Add", ["r", "nowhere"], "y", [])],
                               initializers: [("s", [], [0]), ("l", [], [1 << 40]), ("d", [], [1])], outputs: ["y"])
        XCTAssertThrowsError(try ONNXModel(bytes: bytes)) { error in
            XCTAssertTrue("\(error)".contains("input 'nowhere' is not produced by any earlier node"), "\(error)")
        }
    }

    /// A graph output that no node produces is refused before anything is folded: here a Range that would
    /// be refused as too large if it were evaluated first.
    func testUnproducedGraphOutputIsRefusedBeforeFolding() {
        let bytes = Self.model(nodes: [("Range", ["s", "l", "d"], "r", [])],
                               initializers: [("s", [], [0]), ("l", [], [1 << 40]), ("d", [], [1])], outputs: ["r", "missing"])
        XCTAssertThrowsError(try ONNXModel(bytes: bytes)) { error in
            XCTAssertTrue("\(error)".contains("graph output 'missing' is not produced"), "\(error)")
        }
    }
}

/// Just enough protobuf wire format to write test models.
enum Proto {
    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        return out + [UInt8(v)]
    }
    static func varintField(_ field: UInt64, _ v: UInt64) -> [UInt8] { varint(field << 3) + varint(v) }
    static func bytesField(_ field: UInt64, _ b: [UInt8]) -> [UInt8] { varint(field << 3 | 2) + varint(UInt64(b.count)) + b }
}
