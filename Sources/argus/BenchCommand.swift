import ArgumentParser
import ArgusDetection
import ArgusImage
import ArgusModels
import ArgusTensor
import Foundation

/// `argus bench`: end-to-end latency (image bytes in, JSON out) next to the PyTorch reference,
/// both timed in the same run on the same image with the same thread count.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time a model end to end (JPEG bytes in, JSON out) next to the PyTorch reference.",
        discussion: "The peer runs tools/bench_yolov5_torch.py (the official YOLOv5 code, detect.py's pipeline) "
            + "with the Python given by --peer-python or $ARGUS_BENCH_PYTHON; make that venv with "
            + "tools/setup_bench_venv.sh. Without one, only Argus is timed.")

    @Option(help: "Checkpoint to load (e.g. yolov5n.pt).")
    var weights: String

    @Option(help: "The image to time.")
    var image: String

    @Option(help: "Thread counts to measure, comma-separated.")
    var threads: String = "1,2"

    @Option(help: "Timed runs per measurement (after 3 warm-up runs).")
    var runs: Int = 20

    @Option(help: "Network input size.")
    var imgsz: Int = 640

    @Option(name: .customLong("peer-python"), help: "Python with torch and yolov5 for the PyTorch peer.")
    var peerPython: String?

    @Option(name: .customLong("peer-script"), help: "The peer's script.")
    var peerScript: String = "tools/bench_yolov5_torch.py"

    struct Row { let engine: String; let threads: Int; let median: Double; let min: Double; let detections: Int }

    func run() throws {
        let counts = try failing { () throws -> [Int] in
            let c = threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !c.isEmpty, c.allSatisfy({ $0 >= 1 }) else { throw CLIError("--threads takes positive counts like 1,2") }
            return c
        }
        guard runs >= 1 else { throw failure(nil, CLIError("--runs must be at least 1")) }
        let model = try failing { try ModelLoader.load(contentsOf: weights) }
        guard let data = FileManager.default.contents(atPath: image) else { throw failure(image, CLIError("cannot read file")) }
        let bytes = [UInt8](data)
        let python = peerPython ?? ProcessInfo.processInfo.environment["ARGUS_BENCH_PYTHON"]
        let options = DetectOptions(imageSize: imgsz)

        var rows: [Row] = []
        for t in counts {
            EngineThreads.set(t)
            var detections = 0
            let once = {
                let decoded = try decodeImage(bytes)
                let out = try model.detect(decoded.image, options: options)
                var w = JSONWriter()
                DetectionEncoding.argusImage(out.detections, file: nil, width: decoded.image.width,
                                             height: decoded.image.height, into: &w)
                detections = out.detections.count
                precondition(!w.output.isEmpty)
            }
            for _ in 0..<3 { try failing(image) { try once() } }
            var times: [Double] = []
            for _ in 0..<runs {
                let start = DispatchTime.now().uptimeNanoseconds
                try failing(image) { try once() }
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            times.sort()
            rows.append(Row(engine: "argus", threads: t, median: median(times), min: times[0], detections: detections))
            if let python { rows.append(try peer(python: python, threads: t)) }
        }
        print(table(rows, model: model.info.name))
        if python == nil {
            FileHandle.standardError.write("argus bench: no peer timed (pass --peer-python or set ARGUS_BENCH_PYTHON)\n".data(using: .utf8)!)
        }
    }

    private func peer(python: String, threads t: Int) throws -> Row {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [peerScript, "--weights", weights, "--image", image, "--threads", "\(t)",
                             "--runs", "\(runs)", "--imgsz", "\(imgsz)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try failing("peer") { try process.run() }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let line = String(data: output, encoding: .utf8)?.split(separator: "\n").last,
              let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let med = json["median_ms"] as? Double, let mn = json["min_ms"] as? Double else {
            throw failure("peer", CLIError("\(python) \(peerScript) failed (status \(process.terminationStatus))"))
        }
        return Row(engine: json["engine"] as? String ?? "pytorch", threads: t, median: med, min: mn,
                   detections: json["detections"] as? Int ?? -1)
    }

    private func median(_ sorted: [Double]) -> Double {
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }

    private func table(_ rows: [Row], model: String) -> String {
        var lines = ["| model | engine | threads | median ms | min ms | detections | peer median / argus median |",
                     "|---|---|---|---|---|---|---|"]
        for r in rows {
            let argus = rows.first { $0.engine == "argus" && $0.threads == r.threads }
            let ratio = (r.engine != "argus" && argus != nil) ? String(format: "%.2fx", r.median / argus!.median) : ""
            lines.append("| \(model) | \(r.engine) | \(r.threads) | \(String(format: "%.1f", r.median)) | "
                         + "\(String(format: "%.1f", r.min)) | \(r.detections) | \(ratio) |")
        }
        return lines.joined(separator: "\n")
    }
}
