import ArgumentParser
import ArgusDetection
import ArgusImage
import ArgusJSON
import ArgusModels
import ArgusPipeline
import ArgusTensor
import Foundation

/// `argus detect`: run a detector over image files and print JSON on stdout.
struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Detect objects in images and print the detections as JSON.",
        discussion: "--format argus prints a JSON array with one {file, width, height, detections} object per "
            + "image, detections sorted by score. --format coco prints one COCO results list (image_id from the "
            + "file's numeric name, category_id mapped to COCO ids 1-90 for 80-class COCO models, bbox as [x, y, w, h]). "
            + "torchvision models' labels are COCO category ids already (91 outputs, 0 = background).")

    @OptionGroup var selection: ModelSelection

    @Option(help: "Minimum score, in [0, 1] (default: the model's: 0.25 for YOLOv5/YOLOv8, 0.3 for YOLOX).")
    var conf: Float?

    @Option(help: "NMS IoU threshold, in [0, 1] (default: the model's: 0.45 for YOLOv5 and YOLOX, 0.7 for YOLOv8).")
    var iou: Double?

    @Option(help: ArgumentHelp("Network input size: a YOLO model's long side, rounded up to a multiple of the stride (default 640; "
        + "YOLOX nano/tiny 416; a fixed-size ONNX export only takes its own); "
        + "a Faster R-CNN's short side, torchvision's min_size (default the model's: 800, or 320)."))
    var imgsz: Int?

    @Option(name: .customLong("max-det"), help: "Most detections per image (default: the model's: 1000 for YOLOv5 and YOLOX, 300 for YOLOv8).")
    var maxDet: Int?

    @Option(help: "Keep only these classes: comma-separated names or indices.")
    var classes: String?

    @Flag(name: .customLong("agnostic-nms"), help: "Suppress overlapping boxes across classes.")
    var agnosticNMS = false

    @Option(help: "Output format: argus or coco.")
    var format: OutputFormat = .argus

    @Option(help: "Compute threads (default: all cores).")
    var threads: Int?

    @Option(help: ArgumentHelp("Fast R-CNN mode (Faster R-CNN models): a JSON file with the region proposals to use "
        + "instead of the RPN's, [[x1, y1, x2, y2], ...] in original-image pixels, for every image; or selective_search "
        + "(fast mode), selective_search:fast, selective_search:quality: OpenCV's selective search on each image, its "
        + "first 2000 boxes, as in the Fast R-CNN paper.", valueName: "file|selective_search[:mode]"))
    var proposals: String?

    @Option(help: "How proposals are cropped from the features in Fast R-CNN mode: align (RoI Align) or pool (RoI Pool).")
    var pooling: PoolingChoice = .align

    @Flag(name: .customLong("allow-truncated"),
          help: "Decode a JPEG whose data is cut or damaged as libjpeg does (missing blocks filled) instead of refusing it.")
    var allowTruncated = false

    @Argument(help: "JPEG or PNG files.")
    var images: [String]

    enum OutputFormat: String, ExpressibleByArgument { case argus, coco }
    enum PoolingChoice: String, ExpressibleByArgument { case align, pool }

    func run() throws {
        if let threads { EngineThreads.set(max(1, threads)) }
        let model = try selection.load()
        let given: ProposalSource? = try proposals.map { file in
            if let named = ProposalSource(name: file) { return named }
            return try failing(file) {
                guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read file") }
                return .boxes(try CallerProposals.parse(json: data))
            }
        }
        let request = DetectParameters(
            options: DetectOptions(confidence: conf, iou: iou, maxDetections: maxDet, imageSize: imgsz, agnosticNMS: agnosticNMS),
            classesText: classes, format: format == .coco ? .coco : .argus, proposals: given,
            pooling: given == nil ? nil : (pooling == .pool ? .pool : .align), allowTruncated: allowTruncated)
        let options = try failing {
            try request.validate()
            return try request.options(for: model)
        }

        var entries: [JSONValue] = []
        for path in images {
            let bytes = try readInput(path)
            let (results, _) = try failing(path) {
                try ImageRun.detect([bytes], model: model, options: options, proposals: request.callerRegions,
                                    limits: RunLimits(allowTruncated: allowTruncated))
            }
            let result = results[0]
            switch format {
            case .argus:
                entries.append(DetectionJSON.image(result.detections, file: path, width: result.width, height: result.height,
                                                   classNames: model.info.classNames))
            case .coco:
                guard let imageId = COCOResultJSON.imageId(fileName: path) else {
                    throw failure(path, CLIError("--format coco needs numeric file names (the COCO image id)"))
                }
                for d in result.detections {
                    let category = COCOResultJSON.categoryId(classId: d.classId, classNames: model.info.classNames)
                    entries.append(COCOResultJSON.entry(COCOResultJSON.result(d, imageId: imageId, categoryId: category)))
                }
            }
        }
        FileHandle.standardOutput.write(Data(JSONValue.lines(entries).utf8))
    }
}
