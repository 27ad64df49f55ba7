import ArgumentParser
import ArgusDetection
import ArgusImage
import ArgusJSON
import ArgusModels
import ArgusONNX
import ArgusPipeline
import ArgusTensor
import ArgusWeights
import Foundation

/// `argus bench`: latency and peak memory next to the reference implementations (PyTorch, onnxruntime, OpenVINO),
/// all timed in the same run on the same image and weights with the same thread count: a YOLO checkpoint or ONNX
/// export with `--weights`; a torchvision Faster R-CNN, Mask R-CNN, semantic segmentation model or image classifier
/// with `--arch`.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time a model end to end next to PyTorch, onnxruntime and OpenVINO on the same weights.",
        discussion: """
            One table: each engine's median and min ms, its peak RSS and its median over Argus's at the same \
            thread count, under a header naming the CPU and its vector extensions. Every peer engine runs in a \
            process of its own (so its peak RSS is its own): PyTorch on the checkpoint, onnxruntime \
            (intra-op = threads, inter-op 1, sequential, all graph optimizations) and OpenVINO (CPU, \
            INFERENCE_NUM_THREADS = threads, one stream, f32 precision) on its ONNX export, made by the peer \
            script once and cached next to the weights (or in the temporary directory), keyed by their content \
            and the input size. An engine that cannot run here (OpenVINO not installed, an operator it lacks) \
            is named under the table with the reason. Argus's peak RSS is its own process's after its runs at \
            that thread count.

            YOLOv5 (--weights yolov5n.pt): JPEG bytes in, JSON out, against tools/bench_yolov5_peers.py (the \
            official YOLOv5 code, detect.py's pipeline, the network on PyTorch or exported to ONNX); make that \
            venv with tools/setup_bench_venv.sh.

            YOLOv8 checkpoints and ONNX exports (--weights yolov8n.pt, yolov8n-seg.pt, *.onnx): the image is \
            decoded once by every engine; each timed run is `detect` (masks included) for Argus and, in \
            tools/bench_yolo_peers.py, Ultralytics' `predict` on PyTorch (a .pt), onnxruntime and OpenVINO (an \
            Ultralytics ONNX file, or a .pt exported by Ultralytics with dynamic shapes), or the graph on \
            onnxruntime and OpenVINO with YOLOX's preproc, decode and NMS (a YOLOX export).

            Faster R-CNN and Mask R-CNN (--arch, a torchvision builder name): the image is decoded once, outside \
            the timed region, by every engine (Argus: its decoder; the peers: PIL -> to_tensor); each timed run \
            is `detect` for Argus, `model([img])` for torchvision in tools/bench_fasterrcnn_peers.py (resize + \
            normalize + pad, backbone, FPN, RPN, RoIAlign, box head, postprocess, masks pasted), and one \
            inference of that model exported to ONNX for onnxruntime and OpenVINO (all of those steps are in \
            the graph). Without --weights the peer first writes torchvision's model with the deterministic \
            weights of tools/gen_torchvision_fixtures.py (to --save-weights or a temporary file) and all \
            engines load that file. Argus's stage medians are printed after the table (inference = backbone \
            through box NMS; postprocess = rescaling to the image).

            SSD and RetinaNet (--arch ssd300_vgg16, ssdlite320_mobilenet_v3_large, retinanet_resnet50_fpn, \
            retinanet_resnet50_fpn_v2): the same, against tools/bench_single_stage_peers.py (weights without \
            --weights: the rule with tools/gen_single_stage_fixtures.py's gains); inference = backbone to the head \
            outputs, postprocess = score threshold, top-k, box decoding, NMS, rescaling.

            Semantic segmentation (--arch fcn_resnet50, deeplabv3_resnet50, deeplabv3_mobilenet_v3_large, \
            lraspp_mobilenet_v3_large): the same, against tools/bench_segmentation_peers.py; each timed run is \
            `segment` for Argus; for torchvision the SemanticSegmentation preset (no resize unless --imgsz), \
            the model's forward and the arg-max label map (the aux classifier is not run by any engine); for \
            onnxruntime and OpenVINO one inference of those steps exported to ONNX, uint8 image in, label map \
            out (with --imgsz, the short-side resize in PIL before it).

            Image classification (--arch alexnet, vgg16, resnet18, resnet50, mobilenet_v3_large, \
            mobilenet_v3_small): the same, against tools/bench_classification_peers.py; each timed run is \
            `classify` (top 5) for Argus; for torchvision the IMAGENET1K_V1 preset (short side to 256, \
            antialiased bilinear, center crop 224, normalize), the model's forward, softmax and top-5; for \
            onnxruntime and OpenVINO the resize and crop in PIL, then one inference of the rest exported to \
            ONNX, uint8 crop in, top-5 out. The count column is the top-1 class id (equal ids: the same model ran).

            The peers run with the Python given by --peer-python or $ARGUS_BENCH_PYTHON. Without one, only \
            Argus is timed (with --arch, --weights is then required).
            """)

    @Option(help: "Model file: a YOLOv5/YOLOv8 checkpoint (.pt), an ONNX export, or with --arch a torchvision state dict (default: generated).")
    var weights: String?

    @Option(help: ArgumentHelp("A torchvision model to time: "
        + ModelFamilies.architectures
            .joined(separator: ", ") + "."))
    var arch: String?

    @Option(name: .customLong("save-weights"),
            help: "With --arch and no --weights: keep the generated state dict here (default: a temporary file).")
    var saveWeights: String?

    @Option(name: .customLong("box-score-thresh"),
            help: "With --arch: the box score threshold of every engine (default: torchvision's 0.05).")
    var boxScoreThresh: Float?

    @Option(help: "The image to time.")
    var image: String

    @Option(help: "Thread counts to measure, comma-separated.")
    var threads: String = "1,2"

    @Option(help: "Timed runs per measurement (after 3 warm-up runs).")
    var runs: Int = 20

    @Option(help: "Input size: YOLOv5's (default 640); with a Faster R-CNN --arch, torchvision's min_size (default 800, or 320), max_size scaled alike; with a segmentation --arch, the short side (default: the image's own size); not with a classifier (its weights' preset sets it).")
    var imgsz: Int?

    @Flag(help: "ONNX models: also time every operator of the graph (per-operator-type shares, the slowest convolutions with their GFLOP/s).")
    var profile = false

    @Option(name: .customLong("peer-python"), help: "Python with the peers' packages (torch + yolov5, torchvision, or ultralytics; onnxruntime; openvino where installed).")
    var peerPython: String?

    @Option(name: .customLong("peer-script"),
            help: "The peers' script (default: tools/bench_yolov5_peers.py for YOLOv5, tools/bench_yolo_peers.py for YOLOv8/YOLOX/ONNX, tools/bench_fasterrcnn_peers.py, tools/bench_segmentation_peers.py or tools/bench_classification_peers.py with --arch).")
    var peerScript: String?

    /// One table row; `peakRSS` in MB (Argus: its process after its runs at `threads`; a peer: its own process).
    struct Row { let engine: String; let threads: Int; let median: Double; let min: Double; let detections: Int; let peakRSS: Double? }

    func run() throws {
        let counts = try failing { () throws -> [Int] in
            let c = threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !c.isEmpty, c.allSatisfy({ $0 >= 1 }) else { throw CLIError("--threads takes positive counts like 1,2") }
            return c
        }
        guard runs >= 1 else { throw failure(nil, CLIError("--runs must be at least 1")) }
        guard let data = FileManager.default.contents(atPath: image) else { throw failure(image, CLIError("cannot read file")) }
        let python = peerPython ?? ProcessInfo.processInfo.environment["ARGUS_BENCH_PYTHON"]
        if let arch {
            guard let family = ModelFamilies.family(architecture: arch) else {
                throw failure("--arch", CLIError("unknown '\(arch)'; known: " + ModelFamilies.architectures.joined(separator: ", ")))
            }
            guard let reference = family.bench else {
                throw failure("--arch", CLIError("argus bench has no reference peer for \(family.name) models yet"))
            }
            let script = peerScript ?? reference.script
            let (weightsPath, temporary) = try weightsFile(arch: arch, script: script, python: python)
            defer { if let temporary { try? FileManager.default.removeItem(atPath: temporary) } }
            let loaded = try failing(weightsPath) { try ModelLoader.loadModel(contentsOf: weightsPath, name: arch, architecture: arch) }
            switch loaded {
            case .detector(let model):
                try benchTorchvisionDetector(model, arch: arch, script: script, engines: reference.checkpointEngines,
                                             weightsPath: weightsPath, bytes: [UInt8](data), counts: counts, python: python)
            case .semantic(let model):
                try benchSemantic(model, arch: arch, script: script, engines: reference.checkpointEngines,
                                  weightsPath: weightsPath, bytes: [UInt8](data), counts: counts, python: python)
            case .classifier(let model):
                try benchClassifier(model, arch: arch, script: script, engines: reference.checkpointEngines,
                                    weightsPath: weightsPath, bytes: [UInt8](data), counts: counts, python: python)
            }
        } else {
            guard let weights else { throw failure(nil, CLIError("--weights is required (or --arch for a torchvision model)")) }
            let model = try failing { try ModelLoader.load(contentsOf: weights) }
            guard let family = ModelFamilies.family(of: model.info.family), let reference = family.bench else {
                throw failure(weights, CLIError("argus bench has no reference peer for \(model.info.family) models"))
            }
            guard family.architectures.isEmpty else {
                throw failure(weights, CLIError("\(family.name) models are benchmarked by builder name: --arch NAME --weights FILE"))
            }
            if reference.fromBytes {
                try benchFromBytes(model, reference: reference, weights: weights, bytes: [UInt8](data), counts: counts, python: python)
            } else {
                try benchDecodedOnce(model, reference: reference, weights: weights, bytes: [UInt8](data), counts: counts, python: python)
            }
        }
        if python == nil {
            FileHandle.standardError.write("argus bench: no peer timed (pass --peer-python or set ARGUS_BENCH_PYTHON)\n".data(using: .utf8)!)
        }
    }

    /// JPEG bytes in, JSON out, against a reference timed the same way (the official YOLOv5 code, its network on
    /// PyTorch, onnxruntime and OpenVINO).
    private func benchFromBytes(_ model: any Detector, reference: ReferenceBench, weights: String, bytes: [UInt8], counts: [Int],
                                python: String?) throws {
        let imgsz = self.imgsz ?? model.info.defaults.imageSize
        let options = DetectOptions(imageSize: imgsz)
        let script = peerScript ?? reference.script
        var rows: [Row] = []
        var notes: [String] = []
        for t in counts {
            EngineThreads.set(t)
            var detections = 0
            let times = try timed {
                let decoded = try decodeImage(bytes)
                let out = try model.detect(decoded.image, options: options)
                let json = DetectionJSON.image(out.detections, file: nil, width: decoded.image.width,
                                               height: decoded.image.height, classNames: model.info.classNames).serialized()
                detections = out.detections.count
                precondition(!json.isEmpty)
            }
            rows.append(Row(engine: "argus", threads: t, median: median(times), min: times[0], detections: detections,
                            peakRSS: BenchMachine.peakRSSMegabytes()))
            rows += try peerRows(python: python, script: script, engines: reference.checkpointEngines, threads: t, arguments: [
                "--weights", weights, "--image", image, "--threads", "\(t)", "--runs", "\(runs)", "--imgsz", "\(imgsz)"],
                notes: &notes)
        }
        print(table(rows, model: model.info.name, notes: notes, timed: """
            Timed per run, every engine: JPEG bytes -> decode -> letterbox -> network -> NMS -> boxes in the image -> JSON \
            (onnxruntime, OpenVINO: the YOLOv5 code with its network exported to ONNX, NMS on torch).
            """))
    }

    /// YOLOv8 checkpoints and ONNX exports (YOLOv8-family, YOLOX): a decoded image through `detect` (masks
    /// included for segment models), against tools/bench_yolo_peers.py: Ultralytics `predict` on PyTorch for a
    /// `.pt` and on onnxruntime and OpenVINO for its or an Ultralytics ONNX export, the graph on onnxruntime and
    /// OpenVINO + YOLOX's postprocess for YOLOX.
    private func benchDecodedOnce(_ model: any Detector, reference: ReferenceBench, weights: String, bytes: [UInt8], counts: [Int],
                                  python: String?) throws {
        let script = peerScript ?? reference.script
        let decoded = try failing(image) { try decodeImage(bytes).image }
        let options = try failing { try DetectOptions(imageSize: imgsz).validated() }
        var rows: [Row] = []
        var stages: [String] = []
        var notes: [String] = []
        for t in counts {
            let (row, stage) = try timedStages(threads: t, name: model.info.name) {
                let out = try model.detect(decoded, options: options)
                return (out.detections.count, out.timings)
            }
            rows.append(row)
            stages.append(stage)
            // A checkpoint is timed on PyTorch and, exported by Ultralytics, on the ONNX engines; an ONNX file on those.
            // (YOLOX's own code is not in the reference venv: a YOLOX .pth is timed alone; time its ONNX export instead.)
            let engines = ModelLoader.isONNX(weights) ? reference.onnxEngines : reference.checkpointEngines
            rows += try peerRows(python: python, script: script, engines: engines, threads: t, arguments: [
                "--weights", weights, "--image", image, "--threads", "\(t)", "--runs", "\(runs)"]
                + (imgsz.map { ["--imgsz", "\($0)"] } ?? []), notes: &notes)
        }
        print(table(rows, model: model.info.name, notes: notes, timed: """
            Image decoded once, outside the timing. Timed per run: argus `detect`; Ultralytics `predict` (letterbox, \
            network, NMS, boxes, masks) on each engine, or for YOLOX the graph with YOLOX's preproc, decode and NMS.
            """))
        print("")
        print((["| model | threads | argus preprocess ms | inference ms | postprocess ms (NMS, boxes, masks) |",
                "|---|---|---|---|---|"] + stages).joined(separator: "\n"))
        if profile {
            guard let graph = model as? any GraphProfiling else {
                throw failure(weights, CLIError("--profile times ONNX graphs; \(model.info.name) is not one"))
            }
            for t in counts {
                EngineThreads.set(t)
                let ops = try failing(image) { try graph.profileGraph(decoded, options: options, runs: runs) }
                print("")
                print(operatorProfile(ops, threads: t))
            }
        }
    }

    /// Where a graph's time goes: per operator type, then the slowest convolutions with their throughput.
    private func operatorProfile(_ ops: [OperatorTiming], threads: Int) -> String {
        let total = ops.reduce(0) { $0 + $1.milliseconds }
        var byType: [String: (count: Int, ms: Double)] = [:]
        for op in ops { byType[op.opType, default: (0, 0)].count += 1; byType[op.opType]!.ms += op.milliseconds }
        var lines = ["Operators at \(threads) thread(s): \(ops.count) nodes, \(String(format: "%.2f", total)) ms in operators "
                     + "(median per node over \(runs) runs)", "", "| operator | nodes | ms | share |", "|---|---|---|---|"]
        for (type, v) in byType.sorted(by: { $0.value.ms > $1.value.ms }) {
            lines.append("| \(type) | \(v.count) | \(String(format: "%.2f", v.ms)) | \(String(format: "%.1f%%", 100 * v.ms / max(total, 1e-9))) |")
        }
        let convs = ops.filter { $0.flops != nil }.sorted { $0.milliseconds > $1.milliseconds }
        let flops = convs.reduce(0) { $0 + $1.flops! }, convMs = convs.reduce(0) { $0 + $1.milliseconds }
        lines += ["", "Convolutions: \(String(format: "%.2f", flops / 1e9)) GFLOP in \(String(format: "%.2f", convMs)) ms = "
                  + "\(String(format: "%.1f", flops / 1e6 / max(convMs, 1e-9))) GFLOP/s, by kind:", "",
                  "| kind | convs | ms | share of conv time | GFLOP/s |", "|---|---|---|---|---|"]
        var byKind: [String: (count: Int, ms: Double, flops: Double)] = [:]
        for op in convs {
            let kind = Self.convKind(op)
            byKind[kind, default: (0, 0, 0)].count += 1
            byKind[kind]!.ms += op.milliseconds
            byKind[kind]!.flops += op.flops!
        }
        for (kind, v) in byKind.sorted(by: { $0.value.ms > $1.value.ms }) {
            lines.append("| \(kind) | \(v.count) | \(String(format: "%.2f", v.ms)) | \(String(format: "%.1f%%", 100 * v.ms / max(convMs, 1e-9))) | "
                         + "\(String(format: "%.1f", v.flops / 1e6 / max(v.ms, 1e-9))) |")
        }
        lines += ["", "The slowest convolutions:", "",
                  "| node | input | weight | output | ms | GFLOP/s |", "|---|---|---|---|---|---|"]
        for op in convs.prefix(12) {
            let shape = { (s: [Int]) in s.map(String.init).joined(separator: "x") }
            lines.append("| \(op.label) | \(shape(op.inputShapes.first ?? [])) | \(shape(op.inputShapes.count > 1 ? op.inputShapes[1] : [])) | "
                         + "\(shape(op.outputShapes.first ?? [])) | \(String(format: "%.3f", op.milliseconds)) | "
                         + "\(String(format: "%.1f", op.flops! / 1e6 / max(op.milliseconds, 1e-9))) |")
        }
        return lines.joined(separator: "\n")
    }

    /// A convolution's kind from its shapes: depthwise or dense, kernel size, stride (input over output height).
    private static func convKind(_ op: OperatorTiming) -> String {
        guard let x = op.inputShapes.first, op.inputShapes.count > 1, let y = op.outputShapes.first,
              x.count == 4, y.count == 4, op.inputShapes[1].count == 4 else { return "other" }
        let w = op.inputShapes[1]
        let depthwise = w[1] == 1 && w[0] == x[1] && x[1] > 1
        let stride = y[2] > 0 ? max(1, x[2] / y[2]) : 1
        return "\(depthwise ? "depthwise " : "")\(w[2])x\(w[3])\(stride > 1 ? " stride \(stride)" : "")"
    }

    /// A decoded image through `detect`, against torchvision's `model([img])` with the same weights and that model
    /// exported to ONNX on onnxruntime and OpenVINO.
    private func benchTorchvisionDetector(_ model: any Detector, arch: String, script: String, engines: [String],
                                          weightsPath: String, bytes: [UInt8], counts: [Int], python: String?) throws {
        var peerOptions: [String] = []
        if let boxScoreThresh { peerOptions += ["--box-score-thresh", "\(boxScoreThresh)"] }
        if let imgsz, let limits = (model as? any ShortSideResizing)?.resizeLimits(imageSize: imgsz) {
            peerOptions += ["--min-size", "\(limits.minSize)", "--max-size", "\(limits.maxSize)"]
        }
        let decoded = try failing(image) { try decodeImage(bytes).image }
        let options = try failing { try DetectOptions(confidence: boxScoreThresh, imageSize: imgsz).validated() }

        var rows: [Row] = []
        var stages: [String] = []
        var notes: [String] = []
        for t in counts {
            let (row, stage) = try timedStages(threads: t, name: arch) {
                let out = try model.detect(decoded, options: options)
                return (out.detections.count, out.timings)
            }
            rows.append(row)
            stages.append(stage)
            rows += try peerRows(python: python, script: script, engines: engines, threads: t, arguments: [
                "--arch", arch, "--image", image, "--threads", "\(t)", "--runs", "\(runs)",
                "--weights", weightsPath] + peerOptions, notes: &notes)
        }
        print(table(rows, model: model.info.name, notes: notes, timed: """
            Image decoded once, outside the timing (peers: PIL -> to_tensor). Timed per run: argus `detect`; torch \
            `model([img])`; onnxruntime, OpenVINO: one inference of that model exported to ONNX. All of them: resize, \
            normalize, backbone, heads (R-CNNs: FPN, RPN, RoIAlign, box head), NMS, boxes in the image (Mask R-CNN: \
            masks pasted).
            """))
        print("")
        print((["| model | threads | argus preprocess ms | inference ms (R-CNNs: backbone to box NMS; SSD, RetinaNet: to the head outputs) | postprocess ms |",
                "|---|---|---|---|---|"] + stages).joined(separator: "\n"))
    }

    /// The weights: given, or generated by the peer (torchvision's own module tree and key names), then kept at
    /// --save-weights or in a temporary file (returned as `temporary` for the caller to remove).
    private func weightsFile(arch: String, script: String, python: String?) throws
        -> (path: String, temporary: String?) {
        if let weights { return (weights, nil) }
        guard let python else {
            throw failure(nil, CLIError("--arch without --weights needs the peer's Python (--peer-python or "
                + "$ARGUS_BENCH_PYTHON) to generate the weights"))
        }
        let path = saveWeights ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("argus-bench-\(arch)-\(UUID().uuidString).pth").path
        _ = try peer(python: python, script: script, arguments: [
            "--arch", arch, "--image", image, "--threads", "1", "--runs", "0", "--save-weights", path])
        return (path, saveWeights == nil ? path : nil)
    }

    /// A decoded image through `segment`, against torchvision's preset + forward + arg-max with the same weights and
    /// those steps exported to ONNX on onnxruntime and OpenVINO.
    private func benchSemantic(_ model: any SemanticSegmenter, arch: String, script: String, engines: [String],
                               weightsPath: String, bytes: [UInt8], counts: [Int], python: String?) throws {
        let peerOptions = imgsz.map { ["--resize", "\($0)"] } ?? []
        let decoded = try failing(image) { try decodeImage(bytes).image }
        let options = SegmentOptions(imageSize: imgsz)
        var rows: [Row] = []
        var stages: [String] = []
        var notes: [String] = []
        for t in counts {
            let (row, stage) = try timedStages(threads: t, name: arch) {
                let out = try model.segment(decoded, options: options)
                var present = [Bool](repeating: false, count: 256)
                for label in out.labels.labels { present[Int(label)] = true }
                return (present.filter { $0 }.count, out.timings)
            }
            rows.append(row)
            stages.append(stage)
            rows += try peerRows(python: python, script: script, engines: engines, threads: t, arguments: [
                "--arch", arch, "--image", image, "--threads", "\(t)", "--runs", "\(runs)",
                "--weights", weightsPath] + peerOptions, notes: &notes)
        }
        print(table(rows, model: model.info.name, countColumn: "labels present", notes: notes, timed: """
            Image decoded once, outside the timing (peers: PIL). Timed per run, every engine: (with --imgsz: resize; \
            onnxruntime, OpenVINO: in PIL) -> normalize -> network -> logits upsampled to the image -> arg-max label map; \
            onnxruntime, OpenVINO: one inference of those steps exported to ONNX, uint8 image in.
            """))
        print("")
        print((["| model | threads | argus preprocess ms | inference ms (network to head logits) | postprocess ms (upsampling + arg-max) |",
                "|---|---|---|---|---|"] + stages).joined(separator: "\n"))
    }

    /// A decoded image through `classify`, against torchvision's preset + forward + softmax + top-5 with the same
    /// weights and those steps (after the resize and crop) exported to ONNX on onnxruntime and OpenVINO.
    private func benchClassifier(_ model: any ImageClassifier, arch: String, script: String, engines: [String],
                                 weightsPath: String, bytes: [UInt8], counts: [Int], python: String?) throws {
        // The weights' preset fixes the input size; a silently ignored --imgsz would time something else than asked.
        guard imgsz == nil else { throw failure("--imgsz", CLIError("classifiers run at their weights' preset size")) }
        let decoded = try failing(image) { try decodeImage(bytes).image }
        let options = ClassifyOptions(top: 5)
        var rows: [Row] = []
        var stages: [String] = []
        var notes: [String] = []
        for t in counts {
            // The top-1 class id as the count: every engine computes it, and equal ids show they ran the same model.
            let (row, stage) = try timedStages(threads: t, name: arch) {
                let out = try model.classify(decoded, options: options)
                return (out.classes[0].classId, out.timings)
            }
            rows.append(row)
            stages.append(stage)
            rows += try peerRows(python: python, script: script, engines: engines, threads: t, arguments: [
                "--arch", arch, "--image", image, "--threads", "\(t)", "--runs", "\(runs)", "--weights", weightsPath],
                notes: &notes)
        }
        print(table(rows, model: model.info.name, countColumn: "top-1 class id", notes: notes, timed: """
            Image decoded once, outside the timing (peers: PIL). Timed per run, every engine: short side to 256 \
            (antialiased bilinear) -> center crop 224 -> normalize -> network -> softmax -> top-5 (onnxruntime, \
            OpenVINO: resize and crop in PIL, then one inference of the rest exported to ONNX, uint8 crop in).
            """))
        print("")
        print((["| model | threads | argus preprocess ms (resize, crop, normalize) | inference ms (network to logits) | postprocess ms (softmax + top-5) |",
                "|---|---|---|---|---|"] + stages).joined(separator: "\n"))
    }

    /// `body` timed at `t` threads (see `timed`): Argus's table row (its count column from the last run) and the
    /// stage-median line `| name | t | preprocess | inference | postprocess |` over the timed runs.
    private func timedStages(threads t: Int, name: String,
                             _ body: () throws -> (count: Int, timings: StageTimings)) throws -> (Row, String) {
        EngineThreads.set(t)
        var count = 0
        var timings: [StageTimings] = []
        let times = try timed {
            let out = try body()
            count = out.count
            timings.append(out.timings)
        }
        let measured = timings.suffix(runs)  // the timed runs, not the warm-ups
        func stage(_ key: KeyPath<StageTimings, Double>) -> String {
            String(format: "%.1f", median(measured.map { $0[keyPath: key] }.sorted()))
        }
        return (Row(engine: "argus", threads: t, median: median(times), min: times[0], detections: count,
                    peakRSS: BenchMachine.peakRSSMegabytes()),
                "| \(name) | \(t) | \(stage(\.preprocess)) | \(stage(\.inference)) | \(stage(\.postprocess)) |")
    }

    /// 3 warm-up runs, then `runs` timed ones; the times in ms, sorted.
    private func timed(_ body: () throws -> Void) throws -> [Double] {
        for _ in 0..<3 { try failing(image) { try body() } }
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try failing(image) { try body() }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return times.sorted()
    }

    /// Each of `engines` timed by the peer script at `t` threads, one process each (so each reports its own peak
    /// RSS): their rows; for an engine that cannot run here, its reason, added to `notes` once.
    private func peerRows(python: String?, script: String, engines: [String], threads t: Int, arguments: [String],
                          notes: inout [String]) throws -> [Row] {
        guard let python else { return [] }
        var rows: [Row] = []
        for engine in engines {
            let json = try peer(python: python, script: script, arguments: arguments + ["--engine", engine])
            if let reason = json["skipped"]?.stringValue {
                let note = "\(engine) not timed: \(reason)"
                if !notes.contains(note) { notes.append(note) }
                continue
            }
            guard let med = json["median_ms"]?.doubleValue, let mn = json["min_ms"]?.doubleValue else {
                throw failure("peer", CLIError("\(script) --engine \(engine) printed no median_ms / min_ms"))
            }
            rows.append(Row(engine: json["engine"]?.stringValue ?? engine, threads: t, median: med, min: mn,
                            detections: json["detections"]?.doubleValue.map { Int($0) } ?? -1,
                            peakRSS: json["peak_rss_mb"]?.doubleValue))
        }
        return rows
    }

    /// Runs the peer script and parses the JSON object on its last stdout line; on failure shows its stderr's end.
    private func peer(python: String, script: String, arguments: [String]) throws -> JSONValue {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        // stderr to a file rather than a second pipe: reading two pipes in turn can deadlock.
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("argus-bench-peer-\(UUID().uuidString).err").path
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        process.standardError = FileHandle(forWritingAtPath: errPath) ?? FileHandle.nullDevice
        try failing("peer") { try process.run() }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let line = String(data: output, encoding: .utf8)?.split(separator: "\n").last,
              let json = try? JSONParser.parse(Array(line.utf8)), case .object = json else {
            let err = (FileManager.default.contents(atPath: errPath).flatMap { String(data: $0, encoding: .utf8) } ?? "")
                .split(separator: "\n").suffix(5).joined(separator: "\n")
            throw failure("peer", CLIError("\(python) \(script) failed (status \(process.terminationStatus))"
                + (err.isEmpty ? "" : ":\n" + err)))
        }
        return json
    }

    private func median(_ sorted: [Double]) -> Double {
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }

    /// The machine and Argus's kernels, every engine's row (a ratio above 1 means the peer is slower than Argus),
    /// what each engine's timing covers, and the engines that did not run.
    private func table(_ rows: [Row], model: String, countColumn: String = "detections", notes: [String] = [],
                       timed: String) -> String {
        var lines = [BenchMachine.description,
                     "Argus's engine kernels (convolutions, epilogues): \(CPUFeatures.avx512 ? "AVX-512, chosen at run time over the AVX2 + FMA baseline" : "AVX2 + FMA"); OpenBLAS kernels (fully connected layers): \(BLASCoreType.current)",
                     "",
                     "| model | engine | threads | median ms | min ms | \(countColumn) | peak RSS MB | peer median / argus median |",
                     "|---|---|---|---|---|---|---|---|"]
        for r in rows {
            let argus = rows.first { $0.engine == "argus" && $0.threads == r.threads }
            let ratio = (r.engine != "argus" && argus != nil) ? String(format: "%.2fx", r.median / argus!.median) : ""
            let rss = r.peakRSS.map { String(format: "%.0f", $0) } ?? ""
            lines.append("| \(model) | \(r.engine) | \(r.threads) | \(String(format: "%.1f", r.median)) | "
                         + "\(String(format: "%.1f", r.min)) | \(r.detections) | \(rss) | \(ratio) |")
        }
        lines += ["", timed.trimmingCharacters(in: .whitespacesAndNewlines),
                  "Peak RSS: argus, this process after its runs at that thread count; a peer, its own process (one per engine and thread count)."]
        lines += notes
        return lines.joined(separator: "\n")
    }
}
