/// Close tensor names for a "missing name" error: smallest edit distance first.
public enum NameSuggestions {
    static func closest(to name: String, in names: [String], limit: Int = 3) -> [String] {
        let target = Array(name.utf8)
        // Names far longer or shorter than the target cannot be close; skip the O(n*m) work.
        // Only the error path pays for this; a hostile file with millions of names gets a partial scan.
        let scored = names.prefix(50_000).compactMap { candidate -> (Int, String)? in
            let c = Array(candidate.utf8)
            guard abs(c.count - target.count) <= max(8, target.count / 2) else { return nil }
            return (distance(target, c), candidate)
        }
        let cutoff = max(3, target.count / 2)
        return scored.filter { $0.0 <= cutoff }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .prefix(limit).map(\.1)
    }

    /// Levenshtein distance over bytes (also used for model-name suggestions).
    public static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
