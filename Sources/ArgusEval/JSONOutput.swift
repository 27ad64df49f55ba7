import ArgusJSON

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

    mutating func string(_ s: String) { JSONWriter.appendQuoted(s, to: &text) }

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
