import Foundation

/// Writes float32 tensors as a safetensors file (u64 header length, JSON header of {dtype, shape, data_offsets},
/// little-endian F32 data), so tests can hand a state dict to the loaders without a committed file.
public enum SafetensorsFile {
    public static func write(_ tensors: [(name: String, shape: [Int], values: [Float])], to path: String) throws {
        var header = "{", data: [UInt8] = []
        for t in tensors {
            let begin = data.count
            data.reserveCapacity(data.count + 4 * t.values.count)
            for v in t.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
            header += (header.count > 1 ? "," : "") + "\"\(t.name)\":{\"dtype\":\"F32\",\"shape\":["
                + t.shape.map(String.init).joined(separator: ",") + "],\"data_offsets\":[\(begin),\(data.count)]}"
        }
        header += "}"
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { out += $0 }
        try Data(out + Array(header.utf8) + data).write(to: URL(fileURLWithPath: path))
    }

    /// A classification fixture's network (Tests/ArgusModelsTests/Fixtures/classification/<name>.json: its state-dict
    /// listing and weight gains) with the rule's weights, written to `path`.
    public static func writeRuleClassifier(_ name: String, to path: String) throws {
        let url = Repository.url("Tests/ArgusModelsTests/Fixtures/classification/\(name).json")
        let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
        guard let listing = fixture["state_dict"] as? [String: Any], let gains = fixture["weight_gain"] as? [Double] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        let tensors = listing.keys.sorted().compactMap { key -> (String, [Int], [Float])? in
            guard let e = listing[key] as? [String: Any], let shape = e["shape"] as? [Int], e["dtype"] as? String == "float32" else { return nil }
            return (key, shape, RuleValues.values(key: key, shape: shape, gain: (gains[0], gains[1])))
        }
        try write(tensors.map { (name: $0.0, shape: $0.1, values: $0.2) }, to: path)
    }
}
