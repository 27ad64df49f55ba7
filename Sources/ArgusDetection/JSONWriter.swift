/// A minimal streaming JSON writer: floats printed as their shortest round-tripping decimal,
/// so a Float32 score or coordinate reads back bit for bit.
public struct JSONWriter {
    public private(set) var output = ""

    public init() {}

    public mutating func raw(_ s: String) { output += s }

    public mutating func string(_ s: String) {
        output += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    public mutating func number(_ v: Float) {
        output += v.isFinite ? "\(v)" : "null"
    }

    public mutating func number(_ v: Double) {
        output += v.isFinite ? "\(v)" : "null"
    }

    public mutating func number(_ v: Int) { output += String(v) }
}
