/// Turns a TensorProto (initializer or Constant attribute) into a `Value`, checking that the stored
/// bytes match the declared dims and data type exactly, so no size is taken on trust.
func decodeTensor(_ t: TensorProtoMessage, bytes: [UInt8], what: String) throws -> Value {
    guard !t.hasExternalData, t.dataLocation == 0 else {
        throw ONNXError.unsupported("\(what): tensor data stored outside the file (external data) is not supported")
    }
    guard !t.hasSegment else { throw ONNXError.unsupported("\(what): segmented tensors are not supported") }
    guard let type = ElementType(rawValue: t.dataType) else {
        throw ONNXError.unsupported("\(what): data type \(ElementType.name(of: t.dataType))")
    }
    var shape: [Int] = []
    var count = 1
    for d in t.dims {
        guard d >= 0, d <= Int64(Int32.max) else { throw ONNXError.malformed("\(what): dimension \(d)") }
        let (c, overflow) = count.multipliedReportingOverflow(by: Int(d))
        guard !overflow, c <= bytes.count * 8 + 1 else {
            throw ONNXError.malformed("\(what): dims \(t.dims) hold more elements than the file could")
        }
        count = c
        shape.append(Int(d))
    }
    func mismatch(_ n: Int) -> ONNXError {
        .malformed("\(what): dims \(t.dims) need \(count) \(type) values, the tensor stores \(n)")
    }
    if let raw = t.rawData {
        let size = byteSize(type)
        guard raw.count == count * size else {
            throw ONNXError.malformed("\(what): raw_data has \(raw.count) bytes, dims \(t.dims) of \(type) need \(count * size)")
        }
        return Value(shape: shape, data: decodeRaw(bytes, raw, type, count))
    }
    switch type {
    case .float:
        guard t.floatData.count == count else { throw mismatch(t.floatData.count) }
        return Value(shape: shape, data: .float(t.floatData))
    case .int64:
        guard t.int64Data.count == count else { throw mismatch(t.int64Data.count) }
        return Value(shape: shape, data: .int64(t.int64Data))
    case .int32, .int8, .uint8, .bool:
        guard t.int32Data.count == count else { throw mismatch(t.int32Data.count) }
        let v = t.int32Data
        switch type {
        case .int32: return Value(shape: shape, data: .int32(v.map { Int32(truncatingIfNeeded: $0) }))
        case .int8: return Value(shape: shape, data: .int8(v.map { Int8(truncatingIfNeeded: $0) }))
        case .uint8: return Value(shape: shape, data: .uint8(v.map { UInt8(truncatingIfNeeded: $0) }))
        default: return Value(shape: shape, data: .bool(v.map { $0 != 0 }))
        }
    }
}

func byteSize(_ type: ElementType) -> Int {
    switch type {
    case .float, .int32: return 4
    case .int64: return 8
    case .int8, .uint8, .bool: return 1
    }
}

/// Little-endian raw_data to typed elements.
private func decodeRaw(_ bytes: [UInt8], _ r: Range<Int>, _ type: ElementType, _ count: Int) -> ValueData {
    bytes.withUnsafeBytes { all in
        let src = UnsafeRawBufferPointer(rebasing: all[r])
        func load<T: FixedWidthInteger>(_: T.Type) -> [T] {
            (0..<count).map { T(littleEndian: src.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
        }
        switch type {
        case .float: return .float(load(UInt32.self).map { Float(bitPattern: $0) })
        case .int64: return .int64(load(Int64.self))
        case .int32: return .int32(load(Int32.self))
        case .int8: return .int8(src.map { Int8(bitPattern: $0) })
        case .uint8: return .uint8(Array(src))
        case .bool: return .bool(src.map { $0 != 0 })
        }
    }
}
