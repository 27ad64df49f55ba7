import ArgusJSON

/// A Prometheus histogram: cumulative bucket counts, sum and count (not thread-safe; `Metrics` locks).
struct Histogram {
    let bounds: [Double]
    private(set) var counts: [UInt64]
    private(set) var sum = 0.0
    private(set) var count: UInt64 = 0

    init(bounds: [Double]) {
        self.bounds = bounds
        counts = [UInt64](repeating: 0, count: bounds.count)
    }

    mutating func observe(_ value: Double) {
        for i in bounds.indices where value <= bounds[i] { counts[i] += 1 }
        sum += value
        count += 1
    }

    /// Latency buckets in seconds, 0.5 ms to 30 s.
    static let latencySeconds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    /// Appends the exposition lines for this histogram under `name` with extra `labels` (`key="v"` pairs).
    func write(name: String, labels: String, into out: inout String) {
        let prefix = labels.isEmpty ? "" : labels + ","
        for (bound, c) in zip(bounds, counts) {
            out += "\(name)_bucket{\(prefix)le=\"\(JSONValue.format(bound))\"} \(c)\n"
        }
        out += "\(name)_bucket{\(prefix)le=\"+Inf\"} \(count)\n"
        let braces = labels.isEmpty ? "" : "{\(labels)}"
        out += "\(name)_sum\(braces) \(sum)\n"
        out += "\(name)_count\(braces) \(count)\n"
    }
}
