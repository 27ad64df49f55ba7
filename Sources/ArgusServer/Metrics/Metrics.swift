import ArgusPipeline
import Foundation

/// The service's Prometheus metrics: request counts by route and status, latency histograms per
/// stage, and gauges read at scrape time.
public final class Metrics: @unchecked Sendable {
    /// The pipeline stages timed per image.
    public typealias Stage = PipelineStage

    private let lock = NSLock()
    private var requests: [RouteStatus: UInt64] = [:]
    private var requestLatency: [String: Histogram] = [:]
    private var stageLatency: [Stage: Histogram] = Dictionary(
        uniqueKeysWithValues: Stage.allCases.map { ($0, Histogram(bounds: Histogram.latencySeconds)) })
    private var inFlight = 0

    private struct RouteStatus: Hashable { let route: String, status: Int }

    public init() {}

    /// Counts one answered request and its total latency.
    public func recordRequest(route: String, status: Int, seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        requests[RouteStatus(route: route, status: status), default: 0] += 1
        requestLatency[route, default: Histogram(bounds: Histogram.latencySeconds)].observe(seconds)
    }

    /// Adds one observation of a pipeline stage (milliseconds).
    public func recordStage(_ stage: Stage, milliseconds: Double) {
        lock.lock(); defer { lock.unlock() }
        stageLatency[stage]!.observe(milliseconds / 1000)
    }

    /// Marks a request as being handled (`+1`) or done (`-1`).
    public func adjustInFlight(_ delta: Int) {
        lock.lock(); defer { lock.unlock() }
        inFlight += delta
    }

    /// The number of requests being handled now.
    public var inFlightCount: Int { lock.lock(); defer { lock.unlock() }; return inFlight }

    /// The text exposition format (version 0.0.4), with the gauges sampled by the caller.
    public func exposition(queueDepth: Int, running: Int, ready: Bool) -> String {
        lock.lock(); defer { lock.unlock() }
        var out = ""
        out += "# HELP argus_http_requests_total HTTP requests answered, by route and status.\n"
        out += "# TYPE argus_http_requests_total counter\n"
        for (key, n) in requests.sorted(by: { ($0.key.route, $0.key.status) < ($1.key.route, $1.key.status) }) {
            out += "argus_http_requests_total{route=\"\(key.route)\",status=\"\(key.status)\"} \(n)\n"
        }
        out += "# HELP argus_http_request_duration_seconds Time from request headers to response, by route.\n"
        out += "# TYPE argus_http_request_duration_seconds histogram\n"
        for (route, histogram) in requestLatency.sorted(by: { $0.key < $1.key }) {
            histogram.write(name: "argus_http_request_duration_seconds", labels: "route=\"\(route)\"", into: &out)
        }
        out += "# HELP argus_stage_duration_seconds Time per image in each pipeline stage.\n"
        out += "# TYPE argus_stage_duration_seconds histogram\n"
        for stage in Stage.allCases {
            stageLatency[stage]!.write(name: "argus_stage_duration_seconds", labels: "stage=\"\(stage.rawValue)\"", into: &out)
        }
        out += "# HELP argus_queue_depth Inference jobs waiting for a worker.\n# TYPE argus_queue_depth gauge\nargus_queue_depth \(queueDepth)\n"
        out += "# HELP argus_inference_running Inference jobs running on workers.\n# TYPE argus_inference_running gauge\nargus_inference_running \(running)\n"
        out += "# HELP argus_http_requests_in_flight Requests being handled.\n# TYPE argus_http_requests_in_flight gauge\nargus_http_requests_in_flight \(inFlight)\n"
        out += "# HELP argus_ready Whether models are loaded and warmed up.\n# TYPE argus_ready gauge\nargus_ready \(ready ? 1 : 0)\n"
        out += "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\n"
        out += "process_resident_memory_bytes \(ResidentMemory.bytes() ?? 0)\n"
        return out
    }
}
