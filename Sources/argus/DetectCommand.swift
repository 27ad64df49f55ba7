import ArgumentParser
import ArgusDetection
import ArgusImage
import ArgusModels
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
        + "instead of the RPN's, [[x1, y1, x2, y2], ...] in original-image pixels, for every image.", valueName: "file"))
    var proposals: String?

    @Option(help: "How proposals are cropped from the features in Fast R-CNN mode: align (RoI Align) or pool (RoI Pool).")
    var pooling: PoolingChoice = .align

    @Argument(help: "JPEG or PNG files.")
    var images: [String]

    enum OutputFormat: String, ExpressibleByArgument { case argus, coco }
    enum PoolingChoice: String, ExpressibleByArgument { case align, pool }

    func run() throws {
        if let threads { EngineThreads.set(max(1, threads)) }
        let model = try selection.load()
        let given: [Box]? = try proposals.map { file in
            try failing(file) {
                guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read file") }
                return try CallerProposals.parse(json: data)
            }
        }
        if given != nil, !(model is FasterRCNN) {
            throw CLIError("--proposals needs a two-stage model (Faster R-CNN); \(model.info.name) is \(model.info.family)")
        }
        var options = DetectOptions(confidence: conf, iou: iou, maxDetections: maxDet, imageSize: imgsz,
                                    agnosticNMS: agnosticNMS)
        if let classes { options.classes = try failing { try parseClasses(classes, names: model.info.classNames) } }
        options = try failing { try options.validated() }
        let categoryIds = COCOCategories.isCOCO80(model.info.classNames) ? COCOCategories.ids80 : nil

        var w = JSONWriter()
        w.raw("[")
        var first = true
        for path in images {
            let decoded = try failing(path) {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw CLIError("cannot read file")
                }
                return try decodeImage([UInt8](data))
            }
            let output = try failing(path) {
                if let given, let rcnn = model as? FasterRCNN {
                    return try rcnn.detect(decoded.image, proposals: given,
                                           pooling: pooling == .pool ? .pool : .align, options: options)
                }
                return try model.detect(decoded.image, options: options)
            }
            switch format {
            case .argus:
                w.raw(first ? "\n" : ",\n")
                DetectionEncoding.argusImage(output.detections, file: path, width: decoded.image.width,
                                             height: decoded.image.height, into: &w)
                first = false
            case .coco:
                guard let imageId = DetectionEncoding.cocoImageId(fileName: path) else {
                    throw failure(path, CLIError("--format coco needs numeric file names (the COCO image id)"))
                }
                for d in output.detections {
                    w.raw(first ? "\n" : ",\n")
                    DetectionEncoding.cocoResult(d, imageId: imageId, categoryIds: categoryIds, into: &w)
                    first = false
                }
            }
        }
        w.raw("\n]\n")
        FileHandle.standardOutput.write(w.output.data(using: .utf8)!)
    }
}

/// Parses `--classes person,car,2` into class indices, naming any unknown class.
func parseClasses(_ text: String, names: [String]) throws -> Set<Int> {
    var out = Set<Int>()
    for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
        if let i = Int(part), names.indices.contains(i) { out.insert(i) }
        else if let i = names.firstIndex(of: part) { out.insert(i) }
        else { throw CLIError("unknown class '\(part)' (the model has \(names.count) classes, e.g. \(names.prefix(3).joined(separator: ", ")))") }
    }
    return out
}
