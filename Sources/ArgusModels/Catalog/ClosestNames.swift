import ArgusWeights

/// Close model names for an "unknown model" error: substring matches and small edit distances first.
enum ClosestNames {
    static func closest(to name: String, in names: [String], limit: Int = 3) -> [String] {
        let target = Array(name.lowercased().utf8)
        let scored = names.prefix(10_000).map { candidate -> (Int, String) in
            let c = Array(candidate.lowercased().utf8)
            // "resnet50" should find "fasterrcnn_resnet50_fpn": a contained name counts as close.
            let contained = target.count >= 3 && candidate.lowercased().contains(name.lowercased())
            return (contained ? 0 : NameSuggestions.distance(target, c), candidate)
        }
        let cutoff = max(2, target.count / 3)
        return scored.filter { $0.0 <= cutoff }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .prefix(limit).map(\.1)
    }
}
