/// Decoders for pickle's integer encodings and the text forms of protocol 0.
enum PickleText {
    /// LONG1/LONG4 payload: little-endian two's complement of any length.
    static func long(_ bytes: ArraySlice<UInt8>) -> PickleValue {
        guard let last = bytes.last else { return .int(0) }
        let negative = last & 0x80 != 0
        // Sign-extension bytes beyond the eighth carry no value.
        var significant = bytes.count
        while significant > 8, bytes[bytes.startIndex + significant - 1] == (negative ? 0xFF : 0x00) {
            significant -= 1
        }
        if significant <= 8 {
            let top = bytes[bytes.startIndex + significant - 1]
            if (top & 0x80 != 0) == negative {
                var value: UInt64 = negative ? ~0 : 0
                for i in 0..<significant {
                    value &= ~(UInt64(0xFF) << (8 * UInt64(i)))
                    value |= UInt64(bytes[bytes.startIndex + i]) << (8 * UInt64(i))
                }
                return .int(Int(Int64(bitPattern: value)))
            }
        }
        return .bigInt(Array(bytes))
    }

    /// INT: decimal text; protocol 0 writes True/False as `01`/`00`.
    static func int(_ line: ArraySlice<UInt8>) throws -> PickleValue {
        let text = String(decoding: line, as: UTF8.self)
        if text == "01" { return .bool(true) }
        if text == "00" { return .bool(false) }
        guard let v = Int(text) else { throw WeightsError.corrupt("bad INT \"\(text.prefix(40))\" in pickle") }
        return .int(v)
    }

    /// LONG: decimal text with a trailing `L`.
    static func long(text line: ArraySlice<UInt8>) throws -> PickleValue {
        var text = String(decoding: line, as: UTF8.self)
        if text.hasSuffix("L") { text.removeLast() }
        guard let v = Int(text) else {
            throw WeightsError.unsupported("text LONG \"\(text.prefix(40))\" beyond 64 bits")
        }
        return .int(v)
    }

    static func float(_ line: ArraySlice<UInt8>) throws -> Double {
        let text = String(decoding: line, as: UTF8.self)
        switch text {
        case "nan": return .nan
        case "inf": return .infinity
        case "-inf": return -.infinity
        default:
            guard let v = Double(text) else { throw WeightsError.corrupt("bad FLOAT \"\(text.prefix(40))\" in pickle") }
            return v
        }
    }

    /// Python 2 `str` bytes, read as Latin-1 (each byte one code point) like Python 3's default.
    static func latin1(_ bytes: ArraySlice<UInt8>) -> String {
        String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    /// The Latin-1 encoding of `text`, or nil if a character lies beyond U+00FF.
    static func latin1Bytes(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for s in text.unicodeScalars {
            guard s.value <= 0xFF else { return nil }
            out.append(UInt8(s.value))
        }
        return out
    }

    /// STRING: a quoted Python 2 `repr` with backslash escapes.
    static func quoted(_ line: ArraySlice<UInt8>) throws -> String {
        let chars = Array(line)
        guard chars.count >= 2, let q = chars.first, q == 0x27 || q == 0x22, chars.last == q else {
            throw WeightsError.corrupt("STRING opcode argument is not quoted")
        }
        var out: [UInt8] = []
        var i = 1
        let end = chars.count - 1
        while i < end {
            let c = chars[i]
            i += 1
            guard c == 0x5C, i < end else { out.append(c); continue }
            let e = chars[i]
            i += 1
            switch e {
            case 0x6E: out.append(0x0A)                  // \n
            case 0x72: out.append(0x0D)                  // \r
            case 0x74: out.append(0x09)                  // \t
            case 0x30...0x37:                            // \ooo
                var v = Int(e - 0x30), n = 1
                while n < 3, i < end, (0x30...0x37).contains(chars[i]) { v = v * 8 + Int(chars[i] - 0x30); i += 1; n += 1 }
                out.append(UInt8(truncatingIfNeeded: v))
            case 0x78:                                   // \xhh
                guard i + 2 <= end, let v = UInt8(String(decoding: chars[i..<(i + 2)], as: UTF8.self), radix: 16) else {
                    throw WeightsError.corrupt("bad \\x escape in STRING")
                }
                out.append(v)
                i += 2
            default: out.append(e)                       // \\ \' \" and unknown escapes
            }
        }
        return latin1(out[...])
    }

    /// UNICODE: raw-unicode-escape (Latin-1 bytes with \uXXXX and \UXXXXXXXX escapes).
    static func rawUnicodeEscape(_ line: ArraySlice<UInt8>) throws -> String {
        let chars = Array(line)
        var scalars = String.UnicodeScalarView()
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == 0x5C, i + 1 < chars.count, chars[i + 1] == 0x75 || chars[i + 1] == 0x55 {
                let width = chars[i + 1] == 0x75 ? 4 : 8
                guard i + 2 + width <= chars.count,
                      let v = UInt32(String(decoding: chars[(i + 2)..<(i + 2 + width)], as: UTF8.self), radix: 16),
                      let scalar = Unicode.Scalar(v) else {
                    throw WeightsError.corrupt("bad unicode escape in UNICODE opcode")
                }
                scalars.append(scalar)
                i += 2 + width
            } else {
                scalars.append(Unicode.Scalar(c))
                i += 1
            }
        }
        return String(scalars)
    }
}
