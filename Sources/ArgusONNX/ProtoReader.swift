/// A protobuf wire-format reader over a byte range: varints, fixed 32/64-bit values and
/// length-delimited fields, with every length checked against the bytes left (never trusts a size).
struct ProtoReader {
    /// One field's payload as it appears on the wire.
    enum Payload {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        case bytes(Range<Int>)
    }

    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(_ bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    var isAtEnd: Bool { position >= end }

    /// The next (field number, payload), or nil at the end of the message.
    mutating func next() throws -> (field: Int, payload: Payload)? {
        guard position < end else { return nil }
        let key = try varint()
        let field = key >> 3
        guard field >= 1, field <= 0x1FFF_FFFF else { throw ONNXError.malformed("field number \(field) out of range") }
        switch key & 7 {
        case 0: return (Int(field), .varint(try varint()))
        case 1: return (Int(field), .fixed64(try fixed(8)))
        case 5: return (Int(field), .fixed32(UInt32(try fixed(4))))
        case 2:
            let length = try varint()
            guard length <= UInt64(end - position) else {
                throw ONNXError.malformed("field \(field): length \(length) runs past the end of its message")
            }
            let start = position
            position += Int(length)
            return (Int(field), .bytes(start..<position))
        case let w:
            throw ONNXError.malformed("field \(field): unsupported wire type \(w)")
        }
    }

    private mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw ONNXError.malformed("truncated varint") }
            let b = bytes[position]
            position += 1
            guard shift < 64 else { throw ONNXError.malformed("varint longer than 10 bytes") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    private mutating func fixed(_ count: Int) throws -> UInt64 {
        guard end - position >= count else { throw ONNXError.malformed("truncated fixed-width field") }
        var v: UInt64 = 0
        for i in 0..<count { v |= UInt64(bytes[position + i]) << UInt64(8 * i) }
        position += count
        return v
    }
}

// Typed views of a payload, each refusing a wire type that does not fit the field.
extension ProtoReader.Payload {
    func int(_ what: String) throws -> Int64 {
        guard case .varint(let v) = self else { throw ONNXError.malformed("\(what): expected a varint") }
        return Int64(bitPattern: v)
    }

    func range(_ what: String) throws -> Range<Int> {
        guard case .bytes(let r) = self else { throw ONNXError.malformed("\(what): expected length-delimited bytes") }
        return r
    }

    func float(_ what: String) throws -> Float {
        guard case .fixed32(let v) = self else { throw ONNXError.malformed("\(what): expected a 32-bit float") }
        return Float(bitPattern: v)
    }
}

extension ProtoReader {
    /// A UTF-8 string field (invalid UTF-8 is repaired, as names are only compared and printed).
    func string(_ payload: Payload, _ what: String) throws -> String {
        String(decoding: bytes[try payload.range(what)], as: UTF8.self)
    }

    /// A reader for a nested message field.
    func nested(_ payload: Payload, _ what: String) throws -> ProtoReader {
        ProtoReader(bytes, range: try payload.range(what))
    }

    /// Appends a repeated varint field, packed (one length-delimited run) or unpacked (one value).
    func appendVarints(_ payload: Payload, to values: inout [Int64], _ what: String) throws {
        switch payload {
        case .varint(let v): values.append(Int64(bitPattern: v))
        case .bytes(let r):
            var sub = ProtoReader(bytes, range: r)
            while !sub.isAtEnd { values.append(Int64(bitPattern: try sub.varint())) }
        default: throw ONNXError.malformed("\(what): expected varints")
        }
    }

    /// Appends a repeated float field, packed or unpacked.
    func appendFloats(_ payload: Payload, to values: inout [Float], _ what: String) throws {
        switch payload {
        case .fixed32(let v): values.append(Float(bitPattern: v))
        case .bytes(let r):
            guard r.count % 4 == 0 else { throw ONNXError.malformed("\(what): packed floats of \(r.count) bytes") }
            values.reserveCapacity(values.count + r.count / 4)
            var i = r.lowerBound
            while i < r.upperBound {
                let v = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
                values.append(Float(bitPattern: v))
                i += 4
            }
        default: throw ONNXError.malformed("\(what): expected floats")
        }
    }

    /// Appends a repeated double field, packed or unpacked.
    func appendDoubles(_ payload: Payload, to values: inout [Double], _ what: String) throws {
        switch payload {
        case .fixed64(let v): values.append(Double(bitPattern: v))
        case .bytes(let r):
            guard r.count % 8 == 0 else { throw ONNXError.malformed("\(what): packed doubles of \(r.count) bytes") }
            var i = r.lowerBound
            while i < r.upperBound {
                var v: UInt64 = 0
                for k in 0..<8 { v |= UInt64(bytes[i + k]) << UInt64(8 * k) }
                values.append(Double(bitPattern: v))
                i += 8
            }
        default: throw ONNXError.malformed("\(what): expected doubles")
        }
    }
}
