import ArgusTensor
import Foundation
import XCTest

/// One parameter value of a fixture case (JSON scalar, list of ints, or null).
enum FixtureParam: Decodable {
    case int(Int), double(Double), bool(Bool), string(String), ints([Int]), null

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int.self) { self = .int(v) }
        else if let v = try? c.decode(Double.self) { self = .double(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else { self = .ints(try c.decode([Int].self)) }
    }
}

/// A case written by tools/gen_tensor_fixtures.py: an op, its parameters and named tensors from torch.
struct FixtureCase: Decodable {
    struct TensorRef: Decodable { let shape: [Int]; let offset: Int }
    let name: String
    let op: String
    let params: [String: FixtureParam]
    let tensors: [String: TensorRef]

    var values: [Float] = []  // the whole blob, shared by all cases (copy-on-write, not copied)
    private enum CodingKeys: String, CodingKey { case name, op, params, tensors }

    func tensor(_ key: String) -> Tensor {
        guard let ref = tensors[key] else { fatalError("case \(name) has no tensor \(key)") }
        let count = ref.shape.reduce(1, *)
        return Tensor(shape: ref.shape, storage: Array(values[ref.offset..<(ref.offset + count)]))
    }
    func optionalTensor(_ key: String) -> Tensor? { tensors[key] == nil ? nil : tensor(key) }

    func int(_ key: String) -> Int {
        switch params[key] { case .int(let v): return v; case .bool(let b): return b ? 1 : 0; default: fatalError("\(name): \(key)") }
    }
    func double(_ key: String) -> Double {
        switch params[key] { case .double(let v): return v; case .int(let v): return Double(v); default: fatalError("\(name): \(key)") }
    }
    func bool(_ key: String) -> Bool {
        if case .bool(let v) = params[key] { return v }
        fatalError("\(name): \(key)")
    }
    func string(_ key: String) -> String? {
        if case .string(let v) = params[key] { return v }
        return nil
    }
    func ints(_ key: String) -> [Int] {
        if case .ints(let v) = params[key] { return v }
        fatalError("\(name): \(key)")
    }
    func has(_ key: String) -> Bool { params[key] != nil }
}

/// The fixture file, loaded once per process.
enum Fixtures {
    private struct File: Decodable { let cases: [FixtureCase] }

    static let all: [FixtureCase] = {
        guard let json = Bundle.module.url(forResource: "tensor_cases", withExtension: "json", subdirectory: "Fixtures"),
              let bin = Bundle.module.url(forResource: "tensor_cases", withExtension: "bin", subdirectory: "Fixtures"),
              let jsonData = try? Data(contentsOf: json), let binData = try? Data(contentsOf: bin),
              let file = try? JSONDecoder().decode(File.self, from: jsonData) else {
            fatalError("tensor fixtures missing or unreadable: run tools/gen_tensor_fixtures.py")
        }
        var values = [Float](repeating: 0, count: binData.count / 4)
        binData.withUnsafeBytes { raw in
            for i in values.indices { values[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))) }
        }
        return file.cases.map { var c = $0; c.values = values; return c }
    }()

    static func cases(op: String) -> [FixtureCase] {
        let found = all.filter { $0.op == op }
        XCTAssertFalse(found.isEmpty, "no fixture cases for \(op)")
        return found
    }
}

/// Asserts equal shapes and |actual - expected| <= atol + rtol * |expected| everywhere
/// (rtol = atol = 0 demands bitwise-equal values; NaN matches NaN).
func assertClose(_ actual: Tensor, _ expected: Tensor, rtol: Float = 0, atol: Float = 0, _ label: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.shape, expected.shape, "\(label): shape", file: file, line: line)
    guard actual.shape == expected.shape else { return }
    var worst = 0, worstExcess: Float = 0, failures = 0
    for i in 0..<actual.count {
        let a = actual.storage[i], e = expected.storage[i]
        if a.isNaN && e.isNaN { continue }
        let ok = (rtol == 0 && atol == 0) ? a.bitPattern == e.bitPattern || (a == e)
                                          : abs(a - e) <= atol + rtol * abs(e)
        if !ok {
            failures += 1
            let excess = abs(a - e) - (atol + rtol * abs(e))
            if failures == 1 || excess > worstExcess { worst = i; worstExcess = excess }
        }
    }
    XCTAssertEqual(failures, 0, "\(label): \(failures) of \(actual.count) values differ; worst at \(worst): "
                   + "\(actual.storage[worst]) vs torch \(expected.storage[worst])", file: file, line: line)
}
