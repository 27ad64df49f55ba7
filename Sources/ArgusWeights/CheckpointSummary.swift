extension Checkpoint {
    /// A human-readable listing (what `argus inspect` prints): format, the pickled model's class
    /// and simple attributes or the safetensors metadata, other top-level entries, then every
    /// tensor's name, dtype and shape in aligned columns and the total element count.
    public func summary() -> String {
        var lines = ["format: \(format.rawValue)"]
        if let object = model?.object {
            lines.append("model: \(object.className)")
            for (key, value) in object.attributes.stringEntries where !key.hasPrefix("_") && key != "training" {
                lines.append("  \(key): \(describe(value, limit: 4000))")
            }
        }
        if !metadata.isEmpty {
            lines.append("metadata:")
            for (key, value) in metadata { lines.append("  \(key): \(value)") }
        }
        if format != .safetensors, let dict = root.dict {
            let entries = dict.stringEntries.filter { $0.value.tensor == nil }
            if !entries.isEmpty {
                lines.append("checkpoint:")
                for (key, value) in entries { lines.append("  \(key): \(describe(value, limit: 200))") }
            }
        }
        lines.append("tensors: \(names.count)")
        let nameWidth = min(names.map(\.count).max() ?? 0, 80)
        let infos = names.map { info($0)! }
        let dtypeWidth = infos.map(\.dtype.count).max() ?? 0
        for (name, info) in zip(names, infos) {
            lines.append("  " + pad(name, nameWidth) + "  " + pad(info.dtype, dtypeWidth) + "  " + "\(info.shape)")
        }
        lines.append("total parameters: \(grouped(parameterCount)) (elements of all \(names.count) tensors, buffers included)")
        return lines.joined(separator: "\n")
    }

    /// One line for an attribute: JSON for data, values for small tensors, class names for objects.
    private func describe(_ value: PickleValue, limit: Int) -> String {
        switch value {
        case .tensor(let t):
            if let n = t.count, n <= 16, t.dtype != nil, let values = try? doubles(t) {
                let items = values.map { v -> PickleValue in
                    t.dtype!.isFloatingPoint ? .float(v) : (Int(exactly: v).map(PickleValue.int) ?? .float(v))
                }
                return "tensor(\(t.dtypeName), \(t.shape)) " + PickleValue.list(items).json(maxLength: limit)
            }
            return "tensor(\(t.dtypeName), \(t.shape))"
        case .object(let o):
            return "<\(o.className)>"
        case .dict(let d) where limit < 1000 && d.values.contains(where: { $0.tensor != nil }):
            return "dict of \(d.count) entries"
        default:
            return value.json(maxLength: limit)
        }
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    private func grouped(_ n: Int) -> String {
        var digits = Array(String(n))
        var i = digits.count - 3
        while i > 0 { digits.insert(",", at: i); i -= 3 }
        return String(digits)
    }
}
