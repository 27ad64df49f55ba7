import ArgumentParser
import ArgusDetection
import ArgusImage
import ArgusModels
import ArgusJSON
import ArgusPipeline
import ArgusTensor
import Foundation

/// `argus segment`: instance masks, semantic label maps or panoptic segmentation of image files, as JSON
/// (the same encoding as POST /segment) and optionally rendered previews.
struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment images (instance masks, semantic label maps, panoptic) and print JSON.",
        discussion: "The model decides the output: an instance segmentation model (Mask R-CNN) gives detections with "
            + "masks (--mask-format rle, polygon or png); a semantic model (FCN, DeepLabV3, LRASPP) gives a label map as a "
            + "base64 indexed PNG in the VOC palette with per-class pixel counts (--scores adds per-class probability maps); "
            + "an instance model plus --semantic-weights/--semantic-model gives a COCO panoptic PNG and segments_info. "
            + "--format argus prints a JSON array with one {file, width, height, ...} object per image, the fields of "
            + "POST /segment; --format coco prints one COCO results list (instance: segmentation as COCO RLE, image_id from "
            + "the file's numeric name, so `argus eval --iou-type segm` reads it unchanged).")

    @OptionGroup var selection: ModelSelection

    @Option(name: .customLong("semantic-weights"), help: "Panoptic: a semantic model checkpoint to merge with the instance model.")
    var semanticWeights: String?

    @Option(name: .customLong("semantic-model"), help: "Panoptic: a semantic model manifest by name.")
    var semanticModel: String?

    @Option(help: "Minimum score of instances, in [0, 1] (default: the model's; panoptic: also the score a thing needs, 0.5).")
    var conf: Float?

    @Option(help: "NMS IoU threshold of instances, in [0, 1].")
    var iou: Double?

    @Option(help: "Network input size (instance models as argus detect; semantic models: the short side, default the model's, 520 for torchvision's).")
    var imgsz: Int?

    @Option(name: .customLong("max-det"), help: "Most instances per image.")
    var maxDet: Int?

    @Option(help: "Keep only these instance classes: comma-separated names or indices.")
    var classes: String?

    @Flag(name: .customLong("agnostic-nms"), help: "Suppress overlapping boxes across classes.")
    var agnosticNMS = false

    @Option(name: .customLong("mask-format"), help: "Masks as rle (COCO compressed), polygon (parts with holes) or png (1-bit, cropped).")
    var maskFormat: String?

    @Option(help: "Output format: argus or coco.")
    var format: String = "argus"

    @Flag(help: "Semantic models: add per-class probability maps (8-bit PNGs, 255 = 1).")
    var scores = false

    @Option(name: .customLong("overlap-threshold"), help: "Panoptic: drop an instance whose pixels are taken above this fraction (0.5).")
    var overlapThreshold: Double?

    @Option(name: .customLong("min-stuff-area"), help: "Panoptic: smallest stuff region kept, in pixels (4096).")
    var minStuffArea: Int?

    @Option(help: ArgumentHelp("Also write each image with its masks drawn to DIR/<name>.png.", valueName: "dir"))
    var render: String?

    @Flag(name: .customLong("allow-truncated"),
          help: "Decode a JPEG whose data is cut or damaged as libjpeg does (missing blocks filled) instead of refusing it.")
    var allowTruncated = false

    @Option(help: ArgumentHelp("Write the JSON here instead of stdout.", valueName: "file"))
    var output: String?

    @Option(name: .customLong("panoptic-output"), help: ArgumentHelp(
        "Panoptic: also write COCO panoptic predictions, FILE.json plus one PNG per image in the folder FILE (without "
        + ".json), as panopticapi lays them out: `argus eval --panoptic --gt GT.json --dt FILE.json` reads them unchanged. "
        + "Image ids come from the files' numeric names.", valueName: "file.json"))
    var panopticOutput: String?

    @Option(help: "Compute threads (default: all cores).")
    var threads: Int?

    @Argument(help: "JPEG or PNG files, or directories of them.")
    var images: [String]

    func validate() throws {
        if semanticWeights != nil && semanticModel != nil { throw ValidationError("give --semantic-weights or --semantic-model, not both") }
    }

    func run() throws {
        if let threads { EngineThreads.set(max(1, threads)) }
        let files = try failing { try imageFiles(images) }
        let primary = try selection.loadModel()
        var models = [primary]
        var semanticName: String?
        if semanticWeights != nil || semanticModel != nil {
            let partner = try loadSemanticPartner()
            guard partner.info.name != primary.info.name else {
                throw failure(nil, CLIError("the instance and semantic models are both named '\(primary.info.name)'"))
            }
            models.append(partner)
            semanticName = partner.info.name
        }
        let registry = try failing { try ModelRegistry(models) }
        let maskFormat = try failing { try self.maskFormat.map { try parseChoice($0, name: "mask_format", MaskFormat.self) } }
        let format = try failing { try parseChoice(self.format, name: "format", ResultFormat.self) }
        let parameters = SegmentParameters(
            detect: DetectParameters(model: primary.info.name,
                                     options: DetectOptions(confidence: conf, iou: iou, maxDetections: maxDet, imageSize: imgsz,
                                                            agnosticNMS: agnosticNMS),
                                     classesText: classes, format: format, allowTruncated: allowTruncated),
            maskFormat: maskFormat, semanticModel: semanticName, scores: scores,
            overlapThreshold: overlapThreshold, minStuffArea: minStuffArea)
        let plan = try failing {
            try parameters.validate()
            return try registry.segmentPlan(parameters)
        }
        if let render { try failing(render) { try FileManager.default.createDirectory(atPath: render, withIntermediateDirectories: true) } }
        let panoptic = try panopticOutput.map { try PanopticFolder(path: $0, plan: plan) }

        var entries: [JSONValue] = []
        for path in files {
            let bytes = try readInput(path)
            var timings = PipelineTimings()
            let (decoded, outcome) = try failing(path) {
                try ImageRun.each([bytes], limits: RunLimits(allowTruncated: allowTruncated), timings: &timings) { _, decoded in
                    let (outcome, stages) = try SegmentPipeline.run(decoded.image, plan: plan)
                    return ((decoded, outcome), stages)
                }[0]
            }
            if let render {
                var image = decoded.image
                let target = (render as NSString).appendingPathComponent(((path as NSString).lastPathComponent as NSString).deletingPathExtension + ".png")
                try failing(target) {
                    try SegmentationRenderer.draw(outcome, plan: plan, on: &image)
                    guard FileManager.default.createFile(atPath: target, contents: Data(try encodePNG(image, compressionLevel: 3))) else {
                        throw CLIError("cannot write file")
                    }
                }
            }
            try panoptic?.add(outcome, image: path)
            let coco = parameters.detect.format == .coco
            var imageId = 0
            if coco {
                guard let id = COCOResultJSON.imageId(fileName: path) else {
                    throw failure(path, CLIError("--format coco needs numeric file names (the COCO image id)"))
                }
                imageId = id
            }
            let fields = try failing(path) {
                try SegmentationJSON.fields(outcome, plan: plan, width: decoded.image.width, height: decoded.image.height,
                                            imageId: imageId, parameters: parameters)
            }
            if coco {
                // One flat COCO results list over all images.
                for (_, value) in fields { entries += value.arrayValue ?? [] }
            } else {
                entries.append(.object([("file", .string(path)), ("width", .number(Double(decoded.image.width))),
                                        ("height", .number(Double(decoded.image.height)))] + fields))
            }
        }
        let text = JSONValue.lines(entries)
        try writeOutput(text, to: output)
        try panoptic?.finish()
    }

    /// The panoptic partner: a semantic checkpoint or manifest.
    private func loadSemanticPartner() throws -> LoadedModel {
        let catalog = try failing { try ModelCatalog(modelsDirectory: selection.modelsDir) }
        if let semanticModel { return try loadManifestModel(semanticModel, catalog: catalog) }
        let path = semanticWeights!
        return try failing(path) {
            try ModelLoader.loadModel(contentsOf: path, manifests: catalog.entries().entries.map(\.manifest))
        }
    }
}

/// `--panoptic-output`: COCO panoptic predictions as panopticapi reads them, `NAME.json` and the PNG folder `NAME/`.
final class PanopticFolder {
    let json: String, directory: String
    let thingNames: [String], stuffNames: [String]
    var annotations: [JSONValue] = []

    init(path: String, plan: SegmentPlan) throws {
        guard case .panoptic(let detector, _, let segmenter, _, _) = plan else {
            throw failure(path, CLIError("--panoptic-output needs panoptic output: an instance model with --semantic-weights or --semantic-model"))
        }
        guard path.hasSuffix(".json"), path.count > 5 else { throw failure(path, CLIError("--panoptic-output must name a .json file")) }
        json = path
        directory = String(path.dropLast(5))
        thingNames = detector.info.classNames
        stuffNames = segmenter.info.classNames
        try failing(directory) { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
    }

    func add(_ outcome: SegmentOutcome, image: String) throws {
        guard case .panoptic(let result, _) = outcome else { return }
        guard let imageId = COCOResultJSON.imageId(fileName: image) else {
            throw failure(image, CLIError("--panoptic-output needs numeric file names (the COCO image id)"))
        }
        let file = ((image as NSString).lastPathComponent as NSString).deletingPathExtension + ".png"
        let target = (directory as NSString).appendingPathComponent(file)
        try failing(target) {
            let png = try encodePanopticPNG(segmentIds: result.segmentIds, width: result.width, height: result.height)
            guard FileManager.default.createFile(atPath: target, contents: Data(png)) else { throw CLIError("cannot write file") }
        }
        annotations.append(SegmentationJSON.panopticAnnotation(result, imageId: imageId, fileName: file,
                                                               thingNames: thingNames, stuffNames: stuffNames))
    }

    func finish() throws {
        try writeOutput(JSONValue.object([("annotations", .array(annotations))]).serialized() + "\n", to: json)
    }
}

/// The image files among `paths`: files as given, directories expanded to their JPEG/PNG files sorted by name.
func imageFiles(_ paths: [String]) throws -> [String] {
    var out: [String] = []
    for path in paths {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw CLIError("\(path): no such file") }
        if isDirectory.boolValue {
            let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
            out += names.filter { ["jpg", "jpeg", "png"].contains(($0 as NSString).pathExtension.lowercased()) }
                .map { (path as NSString).appendingPathComponent($0) }
        } else {
            out.append(path)
        }
    }
    if out.isEmpty { throw CLIError("no JPEG or PNG images in \(paths.joined(separator: ", "))") }
    return out
}
