import ArgusTensor

/// The element types a value can hold while the graph runs (ONNX TensorProto.DataType codes).
enum ElementType: Int64, Sendable, CustomStringConvertible {
    case float = 1, uint8 = 2, int8 = 3, int32 = 6, int64 = 7, bool = 9

    /// The ONNX name ("FLOAT", "INT64", ...).
    var description: String {
        switch self {
        case .float: return "FLOAT"
        case .uint8: return "UINT8"
        case .int8: return "INT8"
        case .int32: return "INT32"
        case .int64: return "INT64"
        case .bool: return "BOOL"
        }
    }

    /// The ONNX name of any data type code, for messages and `ONNXTensorInfo`.
    static func name(of code: Int64) -> String {
        if let t = ElementType(rawValue: code) { return t.description }
        let names: [Int64: String] = [0: "UNDEFINED", 4: "UINT16", 5: "INT16", 8: "STRING", 10: "FLOAT16", 11: "DOUBLE",
                                      12: "UINT32", 13: "UINT64", 14: "COMPLEX64", 15: "COMPLEX128", 16: "BFLOAT16"]
        return names[code] ?? "TYPE\(code)"
    }

    /// Bytes per element.
    var byteWidth: Int {
        switch self {
        case .float, .int32: return 4
        case .int64: return 8
        case .uint8, .int8, .bool: return 1
        }
    }
}

/// A typed tensor value: row-major elements and a shape (rank 0 = scalar).
enum ValueData: Sendable {
    case float([Float])
    case int64([Int64])
    case int32([Int32])
    case int8([Int8])
    case uint8([UInt8])
    case bool([Bool])
}

struct Value: Sendable {
    var shape: [Int]
    var data: ValueData

    init(shape: [Int], data: ValueData) {
        self.shape = shape
        self.data = data
    }

    init(_ t: Tensor) {
        shape = t.shape
        data = .float(t.storage)
    }

    init(floats: [Float], shape: [Int]) { self.init(shape: shape, data: .float(floats)) }
    init(int64s: [Int64], shape: [Int]) { self.init(shape: shape, data: .int64(int64s)) }

    var count: Int { shape.reduce(1, *) }

    var elementType: ElementType {
        switch data {
        case .float: return .float
        case .int64: return .int64
        case .int32: return .int32
        case .int8: return .int8
        case .uint8: return .uint8
        case .bool: return .bool
        }
    }

    /// The float elements, or an error naming `what` for another element type.
    func floats(_ what: String) throws -> [Float] {
        guard case .float(let v) = data else {
            throw ONNXError.invalidInput("\(what): expected FLOAT, got \(elementType)")
        }
        return v
    }

    /// The value as an ArgusTensor (float only).
    func tensor(_ what: String) throws -> Tensor {
        Tensor(shape: shape, storage: try floats(what))
    }

    /// Integer elements as Int (INT64/INT32/INT8/UINT8/BOOL), e.g. shape and index inputs.
    func ints(_ what: String) throws -> [Int] {
        switch data {
        case .int64(let v): return v.map { Int($0) }
        case .int32(let v): return v.map { Int($0) }
        case .int8(let v): return v.map { Int($0) }
        case .uint8(let v): return v.map { Int($0) }
        case .bool(let v): return v.map { $0 ? 1 : 0 }
        case .float: throw ONNXError.invalidInput("\(what): expected an integer tensor, got FLOAT")
        }
    }

    /// The same elements under another shape (same count).
    func reshaped(_ newShape: [Int]) -> Value { Value(shape: newShape, data: data) }
}

/// Applies a generic element transform to whatever array a value holds.
protocol ElementMap {
    func callAsFunction<T>(_ v: [T]) throws -> [T]
}

extension ValueData {
    /// `f` applied to the element array, keeping the element type.
    func map(_ f: some ElementMap) throws -> ValueData {
        switch self {
        case .float(let v): return .float(try f(v))
        case .int64(let v): return .int64(try f(v))
        case .int32(let v): return .int32(try f(v))
        case .int8(let v): return .int8(try f(v))
        case .uint8(let v): return .uint8(try f(v))
        case .bool(let v): return .bool(try f(v))
        }
    }
}
