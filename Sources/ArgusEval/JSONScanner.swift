import Foundation

/// A pull parser over UTF-8 JSON bytes that decodes straight into the caller's structures,
/// so a results file with hundreds of thousands of detections never becomes a tree of objects.
struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var pos = 0
    /// Nesting depth, bounded so hostile input cannot exhaust the stack.
    var depth = 0
    static let maxDepth = 512

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    // MARK: errors

    /// An error at the current position, with line and column for the user.
    func error(_ what: String) -> EvalError {
        var line = 1, col = 1
        var i = 0
        let end = min(pos, bytes.count)
        while i < end { if bytes[i] == 10 { line += 1; col = 1 } else { col += 1 }; i += 1 }
        return EvalError.json("\(what) at line \(line), column \(col)")
    }

    // MARK: structure

    mutating func skipWhitespace() {
        while pos < bytes.count {
            let c = bytes[pos]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { return }
        }
    }

    /// The next non-blank byte, without consuming it (0 at the end).
    mutating func peek() -> UInt8 {
        skipWhitespace()
        return pos < bytes.count ? bytes[pos] : 0
    }

    mutating func expect(_ c: UInt8, _ what: String) throws {
        guard peek() == c else {
            throw error(pos < bytes.count ? "expected \(what), found '\(Character(Unicode.Scalar(bytes[pos])))'" : "expected \(what), found the end of the input")
        }
        pos += 1
    }

    /// Calls `body` with each key of an object; `body` must consume the member's value.
    mutating func forEachMember(_ body: (inout JSONScanner, String) throws -> Void) throws {
        try expect(UInt8(ascii: "{"), "an object")
        depth += 1
        guard depth <= JSONScanner.maxDepth else { throw error("nesting deeper than \(JSONScanner.maxDepth)") }
        if peek() == UInt8(ascii: "}") { pos += 1; depth -= 1; return }
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let key = try readString()
            try expect(UInt8(ascii: ":"), "':'")
            try body(&self, key)
            let c = peek()
            pos += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "}") { depth -= 1; return }
            pos -= 1
            throw error("expected ',' or '}' in an object")
        }
    }

    /// Calls `body` for each element of an array; `body` must consume the element.
    mutating func forEachElement(_ body: (inout JSONScanner) throws -> Void) throws {
        try expect(UInt8(ascii: "["), "an array")
        depth += 1
        guard depth <= JSONScanner.maxDepth else { throw error("nesting deeper than \(JSONScanner.maxDepth)") }
        if peek() == UInt8(ascii: "]") { pos += 1; depth -= 1; return }
        while true {
            try body(&self)
            let c = peek()
            pos += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "]") { depth -= 1; return }
            pos -= 1
            throw error("expected ',' or ']' in an array")
        }
    }

    /// Checks that only whitespace follows the top-level value.
    mutating func expectEnd() throws {
        if peek() != 0 || pos < bytes.count { throw error("unexpected data after the JSON value") }
    }

    // MARK: scalars

    /// True (and consumed) when the next value is `null`.
    mutating func consumeNull() throws -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard pos + n <= bytes.count else { throw error("invalid literal") }
        for i in 0..<n where bytes[pos + i] != word.utf8Start[i] { throw error("invalid literal") }
        pos += n
    }

    mutating func readBool() throws -> Bool {
        switch peek() {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        default: throw error("expected true or false")
        }
    }

    /// Reads a number as IEEE float64 (correctly rounded).
    mutating func readDouble() throws -> Double {
        // Python's json module writes NaN/Infinity; accept them so validation can name the culprit.
        switch peek() {
        case UInt8(ascii: "N"): try literal("NaN"); return .nan
        case UInt8(ascii: "I"): try literal("Infinity"); return .infinity
        case UInt8(ascii: "-") where pos + 1 < bytes.count && bytes[pos + 1] == UInt8(ascii: "I"):
            pos += 1; try literal("Infinity"); return -.infinity
        default: break
        }
        let start = pos
        var i = pos
        var neg = false
        if i < bytes.count && bytes[i] == UInt8(ascii: "-") { neg = true; i += 1 }
        var mant: UInt64 = 0
        var digits = 0
        var intDigits = 0
        let intStart = i
        while i < bytes.count, bytes[i] &- 48 < 10 {
            if digits < 19 { mant = mant &* 10 &+ UInt64(bytes[i] - 48); digits += mant == 0 ? 0 : 1 } else { digits += 1 }
            intDigits += 1
            i += 1
        }
        guard i > intStart else { throw error("expected a number") }
        if intDigits > 1 && bytes[intStart] == 48 { throw error("a number has a leading zero") }
        var frac = 0
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            i += 1
            let fs = i
            while i < bytes.count, bytes[i] &- 48 < 10 {
                if digits < 19 { mant = mant &* 10 &+ UInt64(bytes[i] - 48); digits += mant == 0 ? 0 : 1; frac += 1 } else { digits += 1 }
                i += 1
            }
            guard i > fs else { throw error("a number has no digits after '.'") }
        }
        var exp = 0
        if i < bytes.count && (bytes[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            var eneg = false
            if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { eneg = bytes[i] == UInt8(ascii: "-"); i += 1 }
            let es = i
            while i < bytes.count, bytes[i] &- 48 < 10 { if exp < 100000 { exp = exp * 10 + Int(bytes[i] - 48) }; i += 1 }
            guard i > es else { throw error("a number has no digits in its exponent") }
            if eneg { exp = -exp }
        }
        pos = i
        // Clinger's fast path: exact when the digits fit 2^53 and the power of ten is exact.
        let e10 = exp - frac
        if digits <= 15 && mant < (1 << 53) && e10 >= -22 && e10 <= 22 {
            var v = Double(mant)
            if e10 < 0 { v /= JSONScanner.pow10[-e10] } else if e10 > 0 { v *= JSONScanner.pow10[e10] }
            return neg ? -v : v
        }
        // Slow path: strtod on a NUL-terminated copy is correctly rounded in glibc.
        var buf = [CChar](repeating: 0, count: i - start + 1)
        for j in start..<i { buf[j - start] = CChar(bitPattern: bytes[j]) }
        let v = strtod(buf, nil)
        guard v.isFinite else { throw error("number out of range") }
        return v
    }

    static let pow10: [Double] = (0...22).map { pow(10.0, Double($0)) }

    /// Reads a number that must be an integer (`10` or `10.0`).
    mutating func readInt() throws -> Int {
        let save = pos
        let d = try readDouble()
        guard d.isFinite, d == d.rounded(), abs(d) < 9.0e15 else {
            pos = save
            throw error("expected an integer, found \(d)")
        }
        return Int(d)
    }

    /// Reads a string value, decoding escapes.
    mutating func readString() throws -> String {
        let (raw, escaped) = try readStringRaw()
        if !escaped { return String(decoding: UnsafeBufferPointer(rebasing: bytes[raw]), as: UTF8.self) }
        return try unescape(raw)
    }

    /// Reads a string and returns its bytes range in the input, and whether it holds escapes.
    mutating func readStringRaw() throws -> (Range<Int>, Bool) {
        try expect(UInt8(ascii: "\""), "a string")
        let start = pos
        var escaped = false
        while pos < bytes.count {
            let c = bytes[pos]
            if c == UInt8(ascii: "\"") { pos += 1; return (start..<(pos - 1), escaped) }
            if c == UInt8(ascii: "\\") { escaped = true; pos += 2; continue }
            if c < 0x20 { throw error("control character in a string") }
            pos += 1
        }
        throw error("unterminated string")
    }

    private func unescape(_ r: Range<Int>) throws -> String {
        var out = [UInt8]()
        out.reserveCapacity(r.count)
        var i = r.lowerBound
        func hex4(_ at: Int) throws -> UInt32 {
            guard at + 4 <= r.upperBound else { throw error("bad \\u escape") }
            var v: UInt32 = 0
            for j in at..<(at + 4) {
                let c = bytes[j]
                let d: UInt8
                switch c {
                case 48...57: d = c - 48
                case 65...70: d = c - 55
                case 97...102: d = c - 87
                default: throw error("bad \\u escape")
                }
                v = v << 4 | UInt32(d)
            }
            return v
        }
        while i < r.upperBound {
            let c = bytes[i]
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            guard i + 1 < r.upperBound else { throw error("bad escape") }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "u"):
                var cp = try hex4(i)
                i += 4
                if cp >= 0xD800 && cp < 0xDC00, i + 6 <= r.upperBound, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    let lo = try hex4(i + 2)
                    if lo >= 0xDC00 && lo < 0xE000 { cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00); i += 6 }
                }
                let scalar = Unicode.Scalar(cp) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: throw error("bad escape '\\\(Character(Unicode.Scalar(e)))'")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Skips any value.
    mutating func skipValue() throws {
        switch peek() {
        case UInt8(ascii: "{"): try forEachMember { s, _ in try s.skipValue() }
        case UInt8(ascii: "["): try forEachElement { s in try s.skipValue() }
        case UInt8(ascii: "\""): _ = try readStringRaw()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try readBool()
        case UInt8(ascii: "n"): try literal("null")
        case 0: throw error("unexpected end of input")
        default: _ = try readDouble()
        }
    }

    /// Reads an array of numbers.
    mutating func readDoubleArray() throws -> [Double] {
        var out = [Double]()
        try forEachElement { s in out.append(try s.readDouble()) }
        return out
    }
}

/// Runs `body` with a scanner over `data`.
func withScanner<T>(_ data: Data, _ body: (inout JSONScanner) throws -> T) throws -> T {
    try data.withUnsafeBytes { raw in
        var s = JSONScanner(raw.bindMemory(to: UInt8.self))
        return try body(&s)
    }
}
