/// A minimal JSON writer: numbers in shortest round-trip form, so values survive exactly.
struct JSONOutput {
    var text = ""

    mutating func raw(_ s: String) { text += s }

    mutating func number(_ v: Double) {
        if v.isFinite {
            text += v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) + ".0" : "\(v)"
        } else {
            text += "null"
        }
    }

    mutating func string(_ s: String) {
        text += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default:
                if u.value < 0x20 { text += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16) } else { text.unicodeScalars.append(u) }
            }
        }
        text += "\""
    }

    mutating func numbers(_ a: [Double]) {
        text += "["
        for (i, v) in a.enumerated() { if i > 0 { text += ", " }; number(v) }
        text += "]"
    }

    /// An object keyed by category id (as strings), in ascending id order.
    mutating func idMap(_ m: [Int: Double]) {
        text += "{"
        for (i, k) in m.keys.sorted().enumerated() { if i > 0 { text += ", " }; string(String(k)); text += ": "; number(m[k]!) }
        text += "}"
    }
}
