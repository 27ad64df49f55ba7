/// A small strict JSON parser for safetensors headers, producing `PickleValue`s (objects keep
/// key order). Depth is bounded so a hostile header cannot exhaust the stack.
struct JSONReader {
    private let bytes: ArraySlice<UInt8>
    private var i: Int
    private static let maxDepth = 64

    static func parse(_ bytes: ArraySlice<UInt8>) throws -> PickleValue {
        var r = JSONReader(bytes: bytes, i: bytes.startIndex)
        let value = try r.value(depth: 0)
        r.skipSpace()
        guard r.i == bytes.endIndex else { throw r.fail("trailing characters") }
        return value
    }

    private init(bytes: ArraySlice<UInt8>, i: Int) {
        self.bytes = bytes
        self.i = i
    }

    private func fail(_ what: String) -> WeightsError {
        .corrupt("safetensors header JSON: \(what) at byte \(i - bytes.startIndex)")
    }

    private mutating func skipSpace() {
        while i < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    private mutating func expect(_ literal: String, _ value: PickleValue) throws -> PickleValue {
        let utf8 = Array(literal.utf8)
        guard bytes.endIndex - i >= utf8.count, Array(bytes[i..<(i + utf8.count)]) == utf8 else {
            throw fail("unexpected token")
        }
        i += utf8.count
        return value
    }

    private mutating func value(depth: Int) throws -> PickleValue {
        guard depth < Self.maxDepth else { throw fail("nesting too deep") }
        skipSpace()
        guard i < bytes.endIndex else { throw WeightsError.truncated("safetensors header JSON ends early") }
        switch bytes[i] {
        case 0x7B: return try object(depth: depth)
        case 0x5B: return try array(depth: depth)
        case 0x22: return .string(try string())
        case 0x74: return try expect("true", .bool(true))
        case 0x66: return try expect("false", .bool(false))
        case 0x6E: return try expect("null", .none)
        default: return try number()
        }
    }

    private mutating func object(depth: Int) throws -> PickleValue {
        i += 1
        var dict = PickleDict()
        skipSpace()
        if i < bytes.endIndex, bytes[i] == 0x7D { i += 1; return .dict(dict) }
        while true {
            skipSpace()
            guard i < bytes.endIndex, bytes[i] == 0x22 else { throw fail("expected a key") }
            let key = try string()
            skipSpace()
            guard i < bytes.endIndex, bytes[i] == 0x3A else { throw fail("expected ':'") }
            i += 1
            dict.set(try value(depth: depth + 1), for: .string(key))
            skipSpace()
            guard i < bytes.endIndex else { throw fail("unterminated object") }
            if bytes[i] == 0x2C { i += 1; continue }
            guard bytes[i] == 0x7D else { throw fail("expected ',' or '}'") }
            i += 1
            return .dict(dict)
        }
    }

    private mutating func array(depth: Int) throws -> PickleValue {
        i += 1
        var items: [PickleValue] = []
        skipSpace()
        if i < bytes.endIndex, bytes[i] == 0x5D { i += 1; return .list(items) }
        while true {
            items.append(try value(depth: depth + 1))
            skipSpace()
            guard i < bytes.endIndex else { throw fail("unterminated array") }
            if bytes[i] == 0x2C { i += 1; continue }
            guard bytes[i] == 0x5D else { throw fail("expected ',' or ']'") }
            i += 1
            return .list(items)
        }
    }

    private mutating func number() throws -> PickleValue {
        let start = i
        while i < bytes.endIndex, (0x30...0x39).contains(bytes[i]) || [0x2D, 0x2B, 0x2E, 0x65, 0x45].contains(bytes[i]) {
            i += 1
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        guard !text.isEmpty else { throw fail("unexpected character") }
        if let v = Int(text) { return .int(v) }
        guard let d = Double(text), d.isFinite else { throw fail("bad number \"\(text.prefix(30))\"") }
        return .float(d)
    }

    private mutating func string() throws -> String {
        i += 1
        var out: [UInt8] = []
        var scalars = String.UnicodeScalarView()
        func flush() throws {
            guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8") }
            scalars.append(contentsOf: s.unicodeScalars)
            out.removeAll(keepingCapacity: true)
        }
        while true {
            guard i < bytes.endIndex else { throw fail("unterminated string") }
            let c = bytes[i]
            i += 1
            if c == 0x22 { try flush(); return String(scalars) }
            if c < 0x20 { throw fail("control character in string") }
            guard c == 0x5C else { out.append(c); continue }
            guard i < bytes.endIndex else { throw fail("unterminated escape") }
            let e = bytes[i]
            i += 1
            switch e {
            case 0x22, 0x5C, 0x2F: out.append(e)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                try flush()
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), bytes.endIndex - i >= 6, bytes[i] == 0x5C, bytes[i + 1] == 0x75 {
                    i += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("bad surrogate pair") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw fail("bad \\u escape") }
                scalars.append(scalar)
            default: throw fail("bad escape")
            }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.endIndex - i >= 4,
              let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) else {
            throw fail("bad \\u escape")
        }
        i += 4
        return v
    }
}
