/// The few Python literals Ultralytics writes into ONNX metadata (`names` is `str(dict)`, `imgsz` is
/// `str(list)`), read the way `ast.literal_eval` reads them: ints, floats, quoted strings with escapes,
/// True/False/None, lists, tuples and dicts. Anything else is an error, never evaluated.
enum PythonLiteral: Equatable {
    case int(Int)
    case float(Double)
    case string(String)
    case bool(Bool)
    case none
    case list([PythonLiteral])
    case dict([(PythonLiteral, PythonLiteral)])

    static func == (a: PythonLiteral, b: PythonLiteral) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x == y
        case (.float(let x), .float(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.none, .none): return true
        case (.list(let x), .list(let y)): return x == y
        case (.dict(let x), .dict(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    /// Parses one literal; the whole text must be consumed (surrounding whitespace allowed).
    static func parse(_ text: String) throws -> PythonLiteral {
        var p = Parser(chars: Array(text.unicodeScalars))
        let value = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == p.chars.count else { throw ParseError(description: "unexpected text at offset \(p.i)") }
        return value
    }

    /// `{0: 'person', 1: 'bicycle'}` as names indexed by class, or nil when it is not such a dict
    /// (keys must be exactly 0..<n; a list of strings is accepted too).
    var classNames: [String]? {
        switch self {
        case .list(let items):
            let names = items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
            return names.count == items.count ? names : nil
        case .dict(let entries):
            var names = [String?](repeating: nil, count: entries.count)
            for (k, v) in entries {
                guard case .int(let i) = k, names.indices.contains(i), names[i] == nil, case .string(let s) = v else { return nil }
                names[i] = s
            }
            return names.compactMap { $0 }
        default:
            return nil
        }
    }

    /// A list of ints (`[320, 320]`), or a single int as a one-element list.
    var ints: [Int]? {
        switch self {
        case .int(let v): return [v]
        case .list(let items):
            let values = items.compactMap { if case .int(let v) = $0 { return v } else { return nil } }
            return values.count == items.count ? values : nil
        default: return nil
        }
    }

    private struct Parser {
        let chars: [Unicode.Scalar]
        var i = 0
        /// Nesting bound: metadata is attacker-controlled text.
        static let maxDepth = 32

        mutating func skipSpace() {
            while i < chars.count, chars[i] == " " || chars[i] == "\n" || chars[i] == "\t" || chars[i] == "\r" { i += 1 }
        }

        func fail(_ what: String) -> ParseError { ParseError(description: "\(what) at offset \(i)") }

        mutating func value(depth: Int) throws -> PythonLiteral {
            guard depth < Self.maxDepth else { throw fail("nesting too deep") }
            skipSpace()
            guard i < chars.count else { throw fail("unexpected end") }
            switch chars[i] {
            case "{": return try dict(depth: depth)
            case "[": return .list(try sequence(close: "]", depth: depth))
            case "(": return .list(try sequence(close: ")", depth: depth))
            case "'", "\"": return .string(try string())
            default: return try atom()
            }
        }

        mutating func sequence(close: Unicode.Scalar, depth: Int) throws -> [PythonLiteral] {
            i += 1
            var items: [PythonLiteral] = []
            while true {
                skipSpace()
                guard i < chars.count else { throw fail("unterminated list") }
                if chars[i] == close { i += 1; return items }
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < chars.count else { throw fail("unterminated list") }
                if chars[i] == "," { i += 1 } else if chars[i] != close { throw fail("expected ',' or '\(close)'") }
            }
        }

        mutating func dict(depth: Int) throws -> PythonLiteral {
            i += 1
            var entries: [(PythonLiteral, PythonLiteral)] = []
            while true {
                skipSpace()
                guard i < chars.count else { throw fail("unterminated dict") }
                if chars[i] == "}" { i += 1; return .dict(entries) }
                let key = try value(depth: depth + 1)
                skipSpace()
                guard i < chars.count, chars[i] == ":" else { throw fail("expected ':'") }
                i += 1
                entries.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard i < chars.count else { throw fail("unterminated dict") }
                if chars[i] == "," { i += 1 } else if chars[i] != "}" { throw fail("expected ',' or '}'") }
            }
        }

        mutating func string() throws -> String {
            let quote = chars[i]
            i += 1
            var out = String.UnicodeScalarView()
            while i < chars.count {
                let c = chars[i]
                i += 1
                if c == quote { return String(out) }
                if c == "\\" {
                    guard i < chars.count else { break }
                    let e = chars[i]
                    i += 1
                    switch e {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "r": out.append("\r")
                    case "0": out.append("\0")
                    case "x", "u", "U":
                        let n = e == "x" ? 2 : (e == "u" ? 4 : 8)
                        guard i + n <= chars.count,
                              let code = UInt32(String(String.UnicodeScalarView(chars[i..<(i + n)])), radix: 16),
                              let scalar = Unicode.Scalar(code) else { throw fail("bad \\\(e) escape") }
                        out.append(scalar)
                        i += n
                    default: out.append(e)  // \\, \', \" and any other escaped character
                    }
                } else {
                    out.append(c)
                }
            }
            throw fail("unterminated string")
        }

        mutating func atom() throws -> PythonLiteral {
            let start = i
            while i < chars.count, !",:]})".unicodeScalars.contains(chars[i]), chars[i] != " " { i += 1 }
            let word = String(String.UnicodeScalarView(chars[start..<i]))
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default: break
            }
            if let v = Int(word) { return .int(v) }
            if let v = Double(word), v.isFinite { return .float(v) }
            i = start
            throw fail("'\(word.prefix(20))' is not a literal")
        }
    }
}
