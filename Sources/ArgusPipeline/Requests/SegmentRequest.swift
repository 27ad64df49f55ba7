import ArgusMask
import ArgusModels

/// How a mask is written in segmentation responses.
public enum MaskFormat: String, Sendable, CaseIterable {
    /// COCO compressed RLE `{"size": [h, w], "counts": "..."}`, byte-identical to pycocotools `mask.encode`.
    case rle
    /// Outlines: a list of parts `{"exterior": [x0, y0, x1, y1, ...], "holes": [[...], ...]}` in pixel coordinates.
    case polygon
    /// `{"x", "y", "width", "height", "png"}`: a base64 1-bit gray PNG (white = mask) of the mask's tight box at (x, y).
    case png
}

/// Everything a segmentation request can set: the detection parameters (for the instance model) plus the mask ones.
public struct SegmentParameters: Sendable {
    /// Parameters that only tune an instance model (boxes, NMS, proposals): refused for a semantic model alone.
    static let instanceOnly = ["conf", "iou", "max_det", "classes", "agnostic_nms", "box_format", "normalized", "proposals", "pooling"]
    /// Parameters of the panoptic merge.
    static let panopticOnly = ["overlap_threshold", "min_stuff_area"]

    public var detect: DetectParameters
    /// Nil when not given (instances default to RLE; semantic classes and panoptic segments then carry no mask).
    public var maskFormat: MaskFormat?
    public var semanticModel: String?
    /// Per-class probability maps (semantic models).
    public var scores: Bool
    /// The panoptic merge's thresholds, nil where not given (`conf` also sets the score a thing needs to be placed).
    public var overlapThreshold: Double?
    public var minStuffArea: Int?
    /// Names the caller reports as given even when their value equals the default (e.g. `agnostic_nms=false` in a
    /// request), so they are refused where they do not apply exactly as when they carry a value.
    public var alsoGiven: Set<String> = []

    public init(detect: DetectParameters = DetectParameters(), maskFormat: MaskFormat? = nil, semanticModel: String? = nil,
                scores: Bool = false, overlapThreshold: Double? = nil, minStuffArea: Int? = nil) {
        self.detect = detect; self.maskFormat = maskFormat; self.semanticModel = semanticModel; self.scores = scores
        self.overlapThreshold = overlapThreshold; self.minStuffArea = minStuffArea
    }

    /// The names of the parameters that were given (by their request names), to refuse those that do not apply.
    public var given: Set<String> {
        var names = alsoGiven
        let d = detect, o = d.options
        if o.confidence != nil { names.insert("conf") }
        if o.iou != nil { names.insert("iou") }
        if o.maxDetections != nil { names.insert("max_det") }
        if d.classesText != nil { names.insert("classes") }
        if o.agnosticNMS { names.insert("agnostic_nms") }
        if d.boxFormatGiven != nil { names.insert("box_format") }
        if d.normalizedGiven != nil { names.insert("normalized") }
        if d.proposals != nil { names.insert("proposals") }
        if d.poolingGiven != nil { names.insert("pooling") }
        if overlapThreshold != nil { names.insert("overlap_threshold") }
        if minStuffArea != nil { names.insert("min_stuff_area") }
        return names
    }

    /// The panoptic merge's options.
    public var panoptic: PanopticOptions {
        var p = PanopticOptions()
        if let t = overlapThreshold { p.overlapThreshold = t }
        if let a = minStuffArea { p.stuffAreaThreshold = a }
        if let c = detect.options.confidence { p.instanceScoreThreshold = Double(c) }
        return p
    }

    /// The instance masks' format (RLE unless asked otherwise).
    public var instanceMaskFormat: MaskFormat { maskFormat ?? .rle }

    /// The checks that need no model.
    public func validate() throws {
        try detect.validate()
        if let s = semanticModel, s.isEmpty { throw PipelineError.invalidParameter("semantic_model must not be empty") }
        if let t = overlapThreshold, !(t >= 0 && t <= 1) {
            throw PipelineError.invalidParameter("overlap_threshold must be in [0, 1], got \(t)")
        }
        if let a = minStuffArea, a < 0 { throw PipelineError.invalidParameter("min_stuff_area must be >= 0, got \(a)") }
        if detect.format == .coco, let f = maskFormat, f != .rle {
            throw PipelineError.invalidParameter("format=coco writes segmentation as COCO RLE; drop mask_format=\(f.rawValue) or use format=argus")
        }
    }

    /// Refuses parameters that do not apply to a semantic model on its own, naming them.
    func checkSemantic(modelName: String) throws {
        let given = self.given
        let stray = (Self.instanceOnly + Self.panopticOnly).filter(given.contains)
        if !stray.isEmpty {
            throw PipelineError.invalidParameter("\(stray.joined(separator: ", ")) tune instance detections; '\(modelName)' is a semantic "
                + "segmentation model (parameters that apply: model, imgsz, mask_format, scores, format, render)")
        }
    }

    /// Refuses the panoptic merge's parameters outside panoptic output.
    func checkNotPanoptic() throws {
        let given = self.given
        let stray = Self.panopticOnly.filter(given.contains)
        if !stray.isEmpty {
            throw PipelineError.invalidParameter("\(stray.joined(separator: ", ")) tune the panoptic merge; give semantic_model too")
        }
    }

    /// Refuses parameters that do not apply to a panoptic merge.
    func checkPanoptic() throws {
        if scores { throw PipelineError.invalidParameter("scores applies to a semantic model on its own, not to panoptic output") }
        if detect.format == .coco {
            throw PipelineError.invalidParameter("panoptic output is COCO panoptic already (png + segments_info); drop format=coco")
        }
        let given = self.given
        let stray = ["box_format", "normalized"].filter(given.contains)
        if !stray.isEmpty {
            throw PipelineError.invalidParameter("\(stray.joined(separator: ", ")) do not apply to panoptic output (segments_info bbox is COCO [x, y, w, h] in pixels)")
        }
    }
}
