import XCTest
import Foundation
import ArgusTensor
import ArgusONNX

/// Every op-level case of tools/gen_onnx_op_fixtures.py: the tiny graph run here against onnxruntime's
/// outputs (integers exactly, floats within 1e-5 absolute or relative).
final class OpFixtureTests: XCTestCase {
    struct Case {
        let name: String
        let file: String
        let exact: Bool
        let inputs: [String: Tensor]
        let outputs: [String: Tensor]
    }

    static func number(_ v: Any) -> Float {
        if let s = v as? String { return s == "nan" ? .nan : (s == "inf" ? .infinity : -.infinity) }
        return Float((v as! NSNumber).doubleValue)
    }

    static func tensor(_ d: Any) -> Tensor {
        let d = d as! [String: Any]
        return Tensor(shape: d["shape"] as! [Int], storage: (d["data"] as! [Any]).map(number))
    }

    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/ops")

    static func cases() throws -> [Case] {
        let data = try Data(contentsOf: directory.appendingPathComponent("cases.json"))
        let root = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (root["cases"] as! [[String: Any]]).map { c in
            Case(name: c["name"] as! String, file: c["file"] as! String, exact: c["exact"] as! Bool,
                 inputs: (c["inputs"] as! [String: Any]).mapValues(tensor),
                 outputs: (c["outputs"] as! [String: Any]).mapValues(tensor))
        }
    }

    func testEveryCaseMatchesOnnxruntime() throws {
        let cases = try Self.cases()
        XCTAssertGreaterThanOrEqual(cases.count, 70)
        for c in cases {
            let model = try ONNXModel(contentsOf: Self.directory.appendingPathComponent(c.file).path)
            let got = try model.run(c.inputs)
            XCTAssertEqual(Set(got.keys), Set(c.outputs.keys), c.name)
            for (name, want) in c.outputs {
                guard let have = got[name] else { continue }
                XCTAssertEqual(have.shape, want.shape, "\(c.name) \(name)")
                guard have.shape == want.shape else { continue }
                var worst: Float = 0
                for i in 0..<want.count {
                    let (a, b) = (have.storage[i], want.storage[i])
                    if a.isNaN || b.isNaN { XCTAssertTrue(a.isNaN && b.isNaN, "\(c.name) \(name)[\(i)]"); continue }
                    if c.exact {
                        XCTAssertEqual(a, b, "\(c.name) \(name)[\(i)]")
                    } else {
                        worst = max(worst, abs(a - b) / max(1, abs(b)))
                    }
                }
                XCTAssertLessThanOrEqual(worst, 1e-5, "\(c.name) \(name)")
            }
        }
    }

    /// The fused quantized block gives exactly what the unfused graph (every intermediate a graph output) gives.
    func testFusedQuantBlockEqualsUnfused() throws {
        let cases = try Self.cases()
        let fused = try XCTUnwrap(cases.first { $0.name == "quant_block_fused" })
        let unfused = try XCTUnwrap(cases.first { $0.name == "quant_block_unfused" })
        let a = try ONNXModel(contentsOf: Self.directory.appendingPathComponent(fused.file).path).run(fused.inputs)
        let b = try ONNXModel(contentsOf: Self.directory.appendingPathComponent(unfused.file).path).run(unfused.inputs)
        XCTAssertEqual(a["y"], b["y"])
        XCTAssertEqual(a["y"], fused.outputs["y"])
    }

    /// A concatenation read by two 1x1 convs is read in place by both (no Concat step runs), with the bits of the
    /// same conv on the materialized concatenation (the graph whose other reader is a 3x3 conv keeps its Concat).
    func testConcatReadByTwoPointwiseConvsIsFusedIntoBoth() throws {
        let cases = try Self.cases()
        let two = try XCTUnwrap(cases.first { $0.name == "concat_two_convs" })
        let mixed = try XCTUnwrap(cases.first { $0.name == "concat_conv_and_3x3" })
        let fused = try ONNXModel(contentsOf: Self.directory.appendingPathComponent(two.file).path)
        let unfused = try ONNXModel(contentsOf: Self.directory.appendingPathComponent(mixed.file).path)
        XCTAssertFalse(try fused.profile(two.inputs, runs: 1).contains { $0.opType == "Concat" })
        XCTAssertTrue(try unfused.profile(mixed.inputs, runs: 1).contains { $0.opType == "Concat" })
        XCTAssertEqual(try fused.run(two.inputs)["y"], try unfused.run(mixed.inputs)["y"])
    }
}
