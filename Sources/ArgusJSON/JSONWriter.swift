/// A minimal streaming JSON writer: floats printed as their shortest round-tripping decimal,
/// so a Float32 score or coordinate reads back bit for bit.
public struct JSONWriter {
    public private(set) var output = ""

    public init() {}

    public mutating func raw(_ s: String) { output += s }

    public mutating func string(_ s: String) { Self.appendQuoted(s, to: &output) }

    /// Appends `s` as a JSON string literal (quotes, escapes, control characters as \u00XX).
    public static func appendQuoted(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    public mutating func number(_ v: Float) {
        output += v.isFinite ? "\(v)" : "null"
    }

    public mutating func number(_ v: Double) {
        output += v.isFinite ? "\(v)" : "null"
    }

    public mutating func number(_ v: Int) { output += String(v) }
}
