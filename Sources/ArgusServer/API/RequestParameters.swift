import ArgusDetection
import ArgusModels
import ArgusPipeline
import Foundation

/// Request parameters (query, form fields, JSON members) read into the pipeline's typed options. Type errors ("conf
/// must be a number") are reported here; ranges and combinations by the options' own `validate()`.
extension DetectParameters {
    /// The names accepted by /detect and /segment.
    public static let names: Set<String> = [
        "model", "conf", "iou", "max_det", "classes", "agnostic_nms", "imgsz",
        "box_format", "normalized", "format", "render", "proposals", "pooling", "allow_truncated",
    ]

    /// Parses and checks; a name outside `allowed` is a 400 (/segment allows more names).
    public init(_ p: Parameters, allowed: Set<String> = DetectParameters.names) throws {
        try p.requireKnown(allowed)
        var proposals: ProposalSource?
        if let text = p["proposals"] {
            if let named = ProposalSource(name: text) {
                proposals = named
            } else {
                do { proposals = .boxes(try CallerProposals.parse(json: Data(text.utf8))) } catch let error as ModelError {
                    throw APIError.invalidParameter("\(error) (or selective_search, selective_search:fast, selective_search:quality)")
                }
            }
        }
        self.init(
            model: p["model"].map { $0.trimmingSpaces() },
            options: DetectOptions(
                confidence: try p.double("conf", in: 0...1).map(Float.init),
                iou: try p.double("iou", in: 0...1),
                maxDetections: try p.int("max_det", in: 1...DetectOptions.maxDetectionsLimit),
                imageSize: try p.int("imgsz", in: 32...DetectOptions.maxImageSize),
                classes: nil,
                agnosticNMS: try p.bool("agnostic_nms") ?? false),
            classesText: p["classes"],
            boxFormat: try p.choice("box_format", BoxFormat.self),
            normalized: try p.bool("normalized"),
            format: try p.choice("format", ResultFormat.self) ?? .argus,
            render: try p.choice("render", RenderFormat.self),
            proposals: proposals,
            pooling: try p.choice("pooling", RoIPooling.self),
            allowTruncated: try p.bool("allow_truncated") ?? false)
        try validate()
    }
}

extension SegmentParameters {
    /// The names accepted by /segment.
    public static let names: Set<String> = DetectParameters.names.union([
        "mask_format", "semantic_model", "scores", "overlap_threshold", "min_stuff_area"])

    public init(_ p: Parameters) throws {
        self.init(detect: try DetectParameters(p, allowed: Self.names),
                  maskFormat: try p.choice("mask_format", MaskFormat.self),
                  semanticModel: p["semantic_model"].map { $0.trimmingSpaces() },
                  scores: try p.bool("scores") ?? false,
                  overlapThreshold: try p.double("overlap_threshold", in: 0...1),
                  minStuffArea: try p.int("min_stuff_area", in: 0...Int(Int32.max)))
        alsoGiven = Set(p.names)
        try validate()
    }
}
