import ArgusMask
import ArgusModels

/// How a mask is written in /segment responses.
public enum MaskFormat: String, Sendable, CaseIterable {
    /// COCO compressed RLE `{"size": [h, w], "counts": "..."}`, byte-identical to pycocotools `mask.encode`.
    case rle
    /// Outlines: a list of parts `{"exterior": [x0, y0, x1, y1, ...], "holes": [[...], ...]}` in pixel coordinates.
    case polygon
    /// `{"x", "y", "width", "height", "png"}`: a base64 1-bit gray PNG (white = mask) of the mask's tight box at (x, y).
    case png
}

/// Everything a /segment request can set: the /detect parameters (for the instance model) plus the mask ones.
public struct SegmentParameters: Sendable {
    /// The names accepted by /segment.
    public static let names: Set<String> = DetectParameters.names.union([
        "mask_format", "semantic_model", "scores", "overlap_threshold", "min_stuff_area"])

    /// Parameters that only tune an instance model (boxes, NMS, proposals): refused for a semantic model alone.
    static let instanceOnly = ["conf", "iou", "max_det", "classes", "agnostic_nms", "box_format", "normalized", "proposals", "pooling"]

    public var detect: DetectParameters
    /// `mask_format`, nil when not given (instances default to RLE; semantic classes and panoptic segments then carry no mask).
    public var maskFormat: MaskFormat?
    public var semanticModel: String?
    /// Per-class probability maps (semantic models).
    public var scores: Bool
    /// The panoptic merge's thresholds (`conf` also sets the score a thing needs to be placed).
    public var panoptic: PanopticOptions
    /// The names the request gave (to refuse those that do not apply to the chosen mode).
    public var given: Set<String>

    public init(_ p: Parameters) throws {
        detect = try DetectParameters(p, allowed: Self.names)
        maskFormat = try p.choice("mask_format", MaskFormat.self)
        semanticModel = p["semantic_model"].map { $0.trimmingSpaces() }
        if let s = semanticModel, s.isEmpty { throw APIError.invalidParameter("semantic_model must not be empty") }
        scores = try p.bool("scores") ?? false
        panoptic = PanopticOptions()
        if let t = try p.double("overlap_threshold", in: 0...1) { panoptic.overlapThreshold = t }
        if let a = try p.int("min_stuff_area", in: 0...Int(Int32.max)) { panoptic.stuffAreaThreshold = a }
        if let c = detect.options.confidence { panoptic.instanceScoreThreshold = Double(c) }
        given = Set(p.names)
        if detect.format == .coco, let f = maskFormat, f != .rle {
            throw APIError.invalidParameter("format=coco writes segmentation as COCO RLE; drop mask_format=\(f.rawValue) or use format=argus")
        }
    }

    /// The mask format of instance masks (RLE unless asked otherwise).
    public var instanceMaskFormat: MaskFormat { maskFormat ?? .rle }

    /// Refuses parameters that do not apply to a semantic model on its own, naming them.
    func checkSemantic(modelName: String) throws {
        let stray = (Self.instanceOnly + Self.panopticOnly).filter(given.contains)
        if !stray.isEmpty {
            throw APIError.invalidParameter("\(stray.joined(separator: ", ")) tune instance detections; '\(modelName)' is a semantic "
                + "segmentation model (parameters that apply: model, imgsz, mask_format, scores, format, render)")
        }
    }

    /// Parameters of the panoptic merge.
    static let panopticOnly = ["overlap_threshold", "min_stuff_area"]

    /// Refuses the panoptic merge's parameters outside panoptic output.
    func checkNotPanoptic() throws {
        let stray = Self.panopticOnly.filter(given.contains)
        if !stray.isEmpty {
            throw APIError.invalidParameter("\(stray.joined(separator: ", ")) tune the panoptic merge; give semantic_model too")
        }
    }

    /// Refuses parameters that do not apply to a panoptic merge.
    func checkPanoptic() throws {
        if scores { throw APIError.invalidParameter("scores applies to a semantic model on its own, not to panoptic output") }
        if detect.format == .coco {
            throw APIError.invalidParameter("panoptic output is COCO panoptic already (png + segments_info); drop format=coco")
        }
        let stray = ["box_format", "normalized"].filter(given.contains)
        if !stray.isEmpty {
            throw APIError.invalidParameter("\(stray.joined(separator: ", ")) do not apply to panoptic output (segments_info bbox is COCO [x, y, w, h] in pixels)")
        }
    }
}
