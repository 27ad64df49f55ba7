import ArgusDetection
import ArgusModels
import Foundation

/// How boxes are written in responses.
public enum BoxFormat: String, Sendable, CaseIterable {
    /// Corners: x1, y1, x2, y2.
    case xyxy
    /// Top-left corner, width, height.
    case xywh
    /// Centre, width, height.
    case cxcywh
}

/// The response schema for detections.
public enum ResultFormat: String, Sendable, CaseIterable {
    /// `{"box", "score", "class_id", "label"}`.
    case argus
    /// COCO results: `{"image_id", "category_id", "bbox": [x, y, w, h], "score"}`.
    case coco
}

/// Image formats for `render=`.
public enum RenderFormat: String, Sendable, CaseIterable {
    case png, jpeg
}

/// Everything a /detect or /segment request can set, parsed and range-checked.
public struct DetectParameters: Sendable {
    /// The names accepted by /detect and /segment.
    public static let names: Set<String> = [
        "model", "conf", "iou", "max_det", "classes", "agnostic_nms", "imgsz",
        "box_format", "normalized", "format", "render", "proposals", "pooling",
    ]

    public var model: String?
    /// Options without `classes` (those need the model's class list: see `resolveClasses`).
    public var options: DetectOptions
    /// The raw `classes` value: names or ids, comma separated.
    public var classesText: String?
    public var boxFormat: BoxFormat
    public var normalized: Bool
    public var format: ResultFormat
    public var render: RenderFormat?
    /// Fast R-CNN mode: the caller's region proposals (original-image pixels), used instead of the RPN's.
    public var proposals: [Box]?
    /// How proposals are cropped from the features (RoI Align or RoI Pool).
    public var pooling: RoIPooling

    /// Parses and range-checks; a name outside `allowed` is a 400 (/segment allows more names).
    public init(_ p: Parameters, allowed: Set<String> = DetectParameters.names) throws {
        try p.requireKnown(allowed)
        model = p["model"].map { $0.trimmingSpaces() }
        if let m = model, m.isEmpty { throw APIError.invalidParameter("model must not be empty") }
        options = DetectOptions(
            confidence: try p.double("conf", in: 0...1).map(Float.init),
            iou: try p.double("iou", in: 0...1),
            maxDetections: try p.int("max_det", in: 1...DetectOptions.maxDetectionsLimit),
            imageSize: try p.int("imgsz", in: 32...DetectOptions.maxImageSize),
            classes: nil,
            agnosticNMS: try p.bool("agnostic_nms") ?? false)
        classesText = p["classes"]
        boxFormat = try p.choice("box_format", BoxFormat.self) ?? .xyxy
        normalized = try p.bool("normalized") ?? false
        format = try p.choice("format", ResultFormat.self) ?? .argus
        render = try p.choice("render", RenderFormat.self)
        if let text = p["proposals"] {
            do { proposals = try CallerProposals.parse(json: Data(text.utf8)) } catch let error as ModelError {
                throw APIError.invalidParameter("\(error)")
            }
        }
        pooling = try p.choice("pooling", RoIPooling.self) ?? .align
        if p["pooling"] != nil && proposals == nil {
            throw APIError.invalidParameter("pooling applies to caller proposals; give proposals too")
        }
        if format == .coco && (p["box_format"] != nil || p["normalized"] != nil) {
            throw APIError.invalidParameter("format=coco always writes bbox as absolute xywh; drop box_format and normalized")
        }
    }

    /// Resolves `classes` (names or ids) against a model's class list; throws 400 naming the first unknown.
    public static func resolveClasses(_ text: String?, classNames: [String]) throws -> Set<Int>? {
        guard let text else { return nil }
        var ids = Set<Int>()
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = raw.trimmingSpaces()
            if item.isEmpty { throw APIError.invalidParameter("classes has an empty entry in '\(text)'") }
            if let id = Int(item) {
                guard classNames.indices.contains(id) else {
                    throw APIError.invalidParameter("class id \(id) is out of range 0...\(classNames.count - 1)")
                }
                ids.insert(id)
            } else if let id = classNames.firstIndex(where: { $0.caseInsensitiveEquals(item) }) {
                ids.insert(id)
            } else {
                throw APIError.invalidParameter("unknown class name '\(item)'")
            }
        }
        return ids
    }
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool { lowercased() == other.lowercased() }
}
