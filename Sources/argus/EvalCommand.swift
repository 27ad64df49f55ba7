import ArgumentParser
import ArgusEval
import ArgusPlots
import ArgusModels
import ArgusPipeline
import ArgusTensor
import Foundation

/// `argus eval`: COCO mAP (pycocotools 2.0.11 semantics) and PASCAL VOC AP of a results file against ground truth.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate COCO results against ground truth: COCO mAP exactly as pycocotools, and VOC AP@0.5.",
        discussion: """
        With --gt and --dt, prints pycocotools' summary table and any warnings on stderr and a JSON report on
        stdout: stats (the 12 COCOeval.stats numbers), per_category_ap, ap50_per_category, voc, stats_named,
        warnings. Input is checked first; errors say what to fix (unknown image ids, category ids absent from
        the ground truth or 0-based, empty results, bbox and segm results mixed, malformed boxes or RLE).
        --lenient accepts what pycocotools accepts (unknown categories are ignored, empty results score 0).
        Limits: 1,000,000 images, 100,000 categories, 20,000,000 annotations and 20,000,000 detections;
        at most 1,001 IoU or recall thresholds and 64 maxDets or area ranges; 100 megapixels per image for masks.

        With --gt, --images DIR and --weights (or --model) CHECKPOINT, runs the model over the images first and
        evaluates its detections the same way, with a progress bar on stderr. Files are matched to the ground
        truth's images by file_name (basename), else by a numeric name equal to the image id; images without a
        file are left out of the evaluation and files without an image are skipped (both with a warning). Model
        classes map to ground-truth categories by name (COCO-80 models fall back to the standard COCO ids);
        classes with no category are dropped with a warning. Thresholds default to the model family's own
        evaluator: YOLOv5 val.py (conf 0.001, iou 0.6, max_det 300), Ultralytics val for YOLOv8 (conf 0.001,
        iou 0.7, max_det 300), YOLOX's COCOEvaluator (conf 0.01, nms 0.65, no cap), the R-CNNs' own thresholds
        (torchvision's reference evaluation); --conf, --iou and --max-det win. The JSON report gains
        "inference": {model, images, detections, settings (the thresholds used and their source), warnings}.
        --model takes a checkpoint path for now (there is no model registry yet); --save-results FILE writes
        the COCO results list the model produced.

        With --case FILE (or - for stdin), reads one conformance case of shared/eval ({iouType, gt, dt, params})
        and prints {"stats", "per_category_ap", "ap50_per_category", "voc"}, accepting input as pycocotools does.
        """)

    @Option(name: .customLong("case"), help: "A conformance case file, or - for stdin.")
    var casePath: String?

    @Option(help: "COCO ground truth (instances.json).")
    var gt: String?

    @Option(help: "COCO results list (results.json), or - for stdin.")
    var dt: String?

    @Option(help: "A directory of images to run the model over (with --gt and --weights or --model).")
    var images: String?

    @Option(help: "The checkpoint to run over --images (e.g. yolov5n.pt).")
    var weights: String?

    @Option(help: "Same as --weights: a checkpoint path (named models come with the model registry).")
    var model: String?

    @Option(help: "With --images: minimum score, in [0, 1] (default: the family's evaluator's).")
    var conf: Float?

    @Option(help: "With --images: NMS IoU threshold, in [0, 1] (default: the family's evaluator's).")
    var iou: Double?

    @Option(name: .customLong("max-det"), help: "With --images: most detections per image (default: the family's evaluator's).")
    var maxDet: Int?

    @Option(help: "With --images: network input size (default: the model's, 640).")
    var imgsz: Int?

    @Option(name: .customLong("save-results"), help: "With --images: write the model's COCO results list to this file.")
    var saveResults: String?

    @Option(name: .customLong("iou-type"), help: "bbox or segm.")
    var iouType: String = "bbox"

    @Option(name: .customLong("max-dets"), help: "Detections per image for the AR numbers, comma-separated (at least 3; default 1,10,100).")
    var maxDets: String?

    @Option(name: .customLong("iou-thrs"), help: "IoU thresholds: comma-separated, or start:stop:count as np.linspace (default .5:.95:10).")
    var iouThrs: String?

    @Option(name: .customLong("img-ids"), help: "Evaluate only these image ids, comma-separated.")
    var imgIds: String?

    @Option(name: .customLong("cat-ids"), help: "Evaluate only these category ids, comma-separated.")
    var catIds: String?

    @Flag(name: .customLong("class-agnostic"), help: "Ignore category labels (pycocotools useCats=0).")
    var classAgnostic = false

    @Flag(help: "Accept everything pycocotools accepts; likely mistakes become warnings.")
    var lenient = false

    @Flag(name: .customLong("no-voc"), help: "Skip the PASCAL VOC numbers.")
    var noVOC = false

    @Flag(help: "Add precision over the recall thresholds per category and IoU threshold to the JSON.")
    var curves = false

    @Flag(help: "Panoptic quality (PQ, SQ, RQ) as panopticapi's pq_compute: --gt and --dt are COCO panoptic JSON files, with their PNG folders.")
    var panoptic = false

    @Option(name: .customLong("gt-dir"), help: "--panoptic: the ground truth's PNG folder (default: --gt without .json, as panopticapi).")
    var gtDir: String?

    @Option(name: .customLong("dt-dir"), help: "--panoptic: the prediction's PNG folder (default: --dt without .json).")
    var dtDir: String?

    @Option(help: ArgumentHelp("Write precision-recall, F1/precision/recall-against-confidence and confusion matrix PNGs, and the plotted numbers (plots.json), into this directory.", valueName: "dir"))
    var plots: String?

    @Option(name: .customLong("confusion-iou"), help: "The confusion matrix's IoU threshold (a pair needs more).")
    var confusionIoU = 0.45

    @Option(name: .customLong("confusion-conf"), help: "The confusion matrix's confidence threshold (a detection needs more).")
    var confusionConf = 0.25

    @Flag(help: "Do not print the summary table.")
    var quiet = false

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        if panoptic {
            guard gt != nil, dt != nil, casePath == nil, images == nil, plots == nil else {
                throw ValidationError("--panoptic takes --gt and --dt (COCO panoptic JSON) and optionally --gt-dir and --dt-dir")
            }
            return
        }
        if gtDir != nil || dtDir != nil { throw ValidationError("--gt-dir and --dt-dir go with --panoptic") }
        let checkpoint = weights ?? model
        if weights != nil && model != nil { throw ValidationError("give --weights or --model, not both") }
        if casePath == nil && (gt == nil || (dt == nil && images == nil)) {
            throw ValidationError("give --case FILE, --gt and --dt, or --gt, --images and --weights")
        }
        if casePath != nil && (gt != nil || dt != nil || images != nil) { throw ValidationError("--case cannot be combined with --gt/--dt/--images") }
        if dt != nil && images != nil { throw ValidationError("give --dt or --images, not both") }
        if images != nil && checkpoint == nil { throw ValidationError("--images needs a model: --weights CHECKPOINT (or --model CHECKPOINT)") }
        if images == nil && (checkpoint != nil || conf != nil || iou != nil || maxDet != nil || imgsz != nil || saveResults != nil) {
            throw ValidationError("--weights/--model, --conf, --iou, --max-det, --imgsz and --save-results go with --images")
        }
        if IoUType(rawValue: iouType) == nil { throw ValidationError("--iou-type must be bbox or segm") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if plots != nil && casePath != nil { throw ValidationError("--plots goes with --gt and --dt or --images, not --case") }
        if !(0...1).contains(confusionIoU) || !(0...1).contains(confusionConf) {
            throw ValidationError("--confusion-iou and --confusion-conf must be in 0...1")
        }
    }

    func run() throws {
        let nThreads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        do {
            if panoptic { return try runPanoptic() }
            if let casePath {
                let c = try EvalCase(json: try readInput(casePath))
                let report = try c.run(threads: nThreads)
                emit(report.json(includeWarnings: false))
                return
            }
            var params = EvalParams()
            if let maxDets { params.maxDetections = try intList(maxDets, "--max-dets") }
            if let iouThrs { params.iouThresholds = try thresholds(iouThrs) }
            if let imgIds { params.imageIds = try intList(imgIds, "--img-ids") }
            if let catIds { params.categoryIds = try intList(catIds, "--cat-ids") }
            params.useCategories = !classAgnostic
            let gtData = try readInput(gt!)
            let dataset = try COCODataset(json: gtData)
            if let images {
                try runModel(dataset: dataset, images: images, params: params, threads: nThreads)
                return
            }
            let results = try COCOResult.parseList(json: try readInput(dt!))
            let report = try Evaluation.run(gt: dataset, dt: results, iouType: IoUType(rawValue: iouType)!, params: params,
                                            policy: lenient ? .pycocotools : .strict, voc: !noVOC, threads: nThreads)
            var err = ""
            for w in report.warnings { err += "argus eval: warning: \(w.message) [\(w.code)]\n" }
            if !quiet { err += report.coco.summaryText + "\n" }
            FileHandle.standardError.write(Data(err.utf8))
            try writePlots(report, dataset: dataset, results: results)
            emit(report.json(curves: curves))
        } catch let e as EvalError {
            let lines = e.issues.map { "argus eval: error: \($0.message) [\($0.code)]" }.joined(separator: "\n")
            FileHandle.standardError.write(Data((lines + "\n").utf8))
            throw ExitCode.failure
        } catch let e as CocoInputError {
            FileHandle.standardError.write(Data("argus eval: error: \(e.message)\n".utf8))
            throw ExitCode.failure
        } catch let e as DatasetImageError {
            FileHandle.standardError.write(Data("argus eval: error: \(e.description)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// --images: run the model over the matched images, then evaluate its results like --dt.
    private func runModel(dataset: COCODataset, images: String, params: EvalParams, threads: Int) throws {
        if let t = self.threads { EngineThreads.set(t) }
        let checkpoint = (weights ?? model)!
        let detector: any Detector
        do { detector = try ModelLoader.load(contentsOf: checkpoint) } catch {
            throw CocoInputError(message: "cannot load the model \(checkpoint): \(error)")
        }
        let iouKind = IoUType(rawValue: iouType)!
        if iouKind == .segm && detector.info.task != .segment {
            throw CocoInputError(message: "--iou-type segm needs masks; \(detector.info.name) gives boxes only (use an instance segmentation model, or --iou-type bbox)")
        }
        let (options, settings): (DetectOptions, EvaluationThresholds)
        do {
            (options, settings) = try DatasetEvaluation.options(for: detector, confidence: conf, iou: iou, maxDetections: maxDet,
                                                                imageSize: imgsz)
        } catch { throw CocoInputError(message: "\(error)") }
        var bar = ProgressBar(unit: "images")
        let run = try DatasetEvaluation.run(gt: dataset, gtImages: DatasetEvaluation.groundTruthImages(dataset),
                                            imagesDirectory: images, model: detector, options: options, settings: settings,
                                            onlyImageIds: params.imageIds.map(Set.init)) { bar.update($0, of: $1) }
        if let saveResults {
            guard FileManager.default.createFile(atPath: saveResults, contents: Data(DatasetEvaluation.resultsJSON(run.results).utf8)) else {
                throw CocoInputError(message: "cannot write \(saveResults)")
            }
        }
        var runParams = params
        runParams.imageIds = run.imageIds
        var err = ""
        for w in run.warnings { err += "argus eval: warning: \(w.message) [\(w.code)]\n" }
        FileHandle.standardError.write(Data(err.utf8))
        let report = try Evaluation.run(gt: dataset, dt: run.results, iouType: iouKind, params: runParams,
                                        policy: lenient ? .pycocotools : .strict, voc: !noVOC, threads: threads)
        err = ""
        for w in report.warnings { err += "argus eval: warning: \(w.message) [\(w.code)]\n" }
        if !quiet { err += report.coco.summaryText + "\n" }
        FileHandle.standardError.write(Data(err.utf8))
        try writePlots(report, dataset: dataset, results: run.results)
        emit(run.reportJSON(report, model: detector.info.name, curves: curves))
    }

    /// --panoptic: PQ over the two JSON files and their PNG folders.
    private func runPanoptic() throws {
        func folder(_ given: String?, _ json: String) -> String {
            given ?? (json.hasSuffix(".json") ? String(json.dropLast(5)) : json)
        }
        do {
            let truth = try PanopticDataset(json: Array(try readInput(gt!)), requireCategories: true)
            let predicted = try PanopticDataset(json: Array(try readInput(dt!)), requireCategories: false)
            let quality = try PanopticEvaluation.run(gt: truth, gtDirectory: folder(gtDir, gt!), prediction: predicted,
                                                     predictionDirectory: folder(dtDir, dt!))
            if !quiet {
                var table = "          |    PQ     SQ     RQ     N\n" + String(repeating: "-", count: 38) + "\n"
                for (name, isThing) in [("All", nil), ("Things", true), ("Stuff", false)] as [(String, Bool?)] {
                    let a = quality.average(isThing: isThing)
                    table += name.padding(toLength: 10, withPad: " ", startingAt: 0)
                        + String(format: "| %5.1f  %5.1f  %5.1f %5d\n", 100 * a.mean.pq, 100 * a.mean.sq, 100 * a.mean.rq, a.n)
                }
                FileHandle.standardError.write(Data(table.utf8))
            }
            emit(quality.json().serialized())
        } catch let e as PanopticError {
            throw CocoInputError(message: e.description)
        }
    }

    /// --plots DIR: the evaluation's pictures and their numbers.
    private func writePlots(_ report: EvalReport, dataset: COCODataset, results: [COCOResult]) throws {
        guard let plots else { return }
        let confusion = ConfusionMatrix(gt: dataset, dt: results, iou: confusionIoU, confidence: confusionConf)
        let names = Dictionary(dataset.categories.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        do {
            let files = try EvaluationPlots(report: report, confusion: confusion, names: names).write(to: plots)
            FileHandle.standardError.write(Data("argus eval: wrote \(files.count) files to \(plots)\n".utf8))
        } catch {
            throw CocoInputError(message: "cannot write the plots to \(plots): \(error)")
        }
    }

    private func emit(_ s: String) { FileHandle.standardOutput.write(Data((s + "\n").utf8)) }

    private func readInput(_ path: String) throws -> Data {
        if path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        guard let d = FileManager.default.contents(atPath: path) else { throw CocoInputError(message: "cannot read \(path)") }
        return d
    }

    private func intList(_ s: String, _ flag: String) throws -> [Int] {
        try s.split(separator: ",").map {
            guard let v = Int($0.trimmingCharacters(in: .whitespaces)) else { throw CocoInputError(message: "\(flag): '\($0)' is not an integer") }
            return v
        }
    }

    private func thresholds(_ s: String) throws -> [Double] {
        let parts = s.split(separator: ":")
        if parts.count == 3, let a = Double(parts[0]), let b = Double(parts[1]), let n = Int(parts[2]), n > 0, n <= 1001 {
            return EvalParams.linspace(a, b, n)
        }
        return try s.split(separator: ",").map {
            guard let v = Double($0.trimmingCharacters(in: .whitespaces)), v.isFinite else {
                throw CocoInputError(message: "--iou-thrs: '\($0)' is not a number (use a,b,c or start:stop:count)")
            }
            return v
        }
    }
}

/// A command-line input problem (unreadable file, bad list).
private struct CocoInputError: Error { let message: String }
