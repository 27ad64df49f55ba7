import ArgusJSON

extension PickleValue {
    /// The value as compact JSON (dict keys as strings, tuples and sets as arrays, tensors and
    /// objects as descriptive strings), cut off with `…` once `maxLength` characters are written,
    /// which also bounds the work for hostile structures that share sub-values many times.
    public func json(maxLength: Int = 1 << 20) -> String {
        var writer = BudgetedJSONWriter(budget: maxLength)
        writer.write(self)
        return writer.truncated ? writer.out + "…" : writer.out
    }
}

extension PickleValue: CustomStringConvertible {
    public var description: String { json(maxLength: 4096) }
}

private struct BudgetedJSONWriter {
    var out = ""
    var budget: Int
    var truncated = false

    init(budget: Int) { self.budget = budget }

    private mutating func emit(_ s: String) {
        guard !truncated else { return }
        if s.count > budget {
            out += String(s.prefix(budget))
            truncated = true
            budget = 0
        } else {
            out += s
            budget -= s.count
        }
    }

    mutating func write(_ v: PickleValue) {
        guard !truncated else { return }
        switch v {
        case .none: emit("null")
        case .bool(let b): emit(b ? "true" : "false")
        case .int(let i): emit(String(i))
        case .bigInt(let bytes): emit(Self.quote("int(\(bytes.count) bytes)"))
        case .float(let d):
            if d.isNaN { emit("NaN") } else if d.isInfinite { emit(d > 0 ? "Infinity" : "-Infinity") }
            else { emit(String(d)) }
        case .string(let s): emit(Self.quote(s))
        case .bytes(let b): emit(Self.quote("bytes(\(b.count))"))
        case .list(let items), .tuple(let items), .set(let items):
            emit("[")
            for (k, item) in items.enumerated() {
                if truncated { return }
                if k > 0 { emit(", ") }
                write(item)
            }
            emit("]")
        case .dict(let d):
            emit("{")
            for (k, (key, value)) in d.entries.enumerated() {
                if truncated { return }
                if k > 0 { emit(", ") }
                emit(Self.quote(key.string ?? key.json(maxLength: 200)))
                emit(": ")
                write(value)
            }
            emit("}")
        case .object(let o): emit(Self.quote("<\(o.className)>"))
        case .global(let m, let n): emit(Self.quote("\(m).\(n)"))
        case .storage(let s): emit(Self.quote("storage(\(s.typeName), \(s.count))"))
        case .tensor(let t): emit(Self.quote("tensor(\(t.dtypeName), \(t.shape))"))
        }
    }

    static func quote(_ s: String) -> String {
        var out = ""
        ArgusJSON.JSONWriter.appendQuoted(s, to: &out)
        return out
    }
}
