import ArgusDetection
import ArgusModels

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

/// Image formats for `render`.
public enum RenderFormat: String, Sendable, CaseIterable {
    case png, jpeg
}

/// Everything a detection request can set, typed: the server fills it from query/form/JSON parameters, the CLI from
/// its flags, and both check it with `validate()`.
public struct DetectParameters: Sendable {
    public var model: String?
    /// Options without `classes` (those need the model's class list: see `resolveClasses`).
    public var options: DetectOptions
    /// The class filter as given: names (any case) or ids, comma separated.
    public var classesText: String?
    /// Nil: `xyxy`. Given explicitly, it conflicts with `format = coco`.
    public var boxFormatGiven: BoxFormat?
    /// Nil: false. Given explicitly, it conflicts with `format = coco`.
    public var normalizedGiven: Bool?
    public var format: ResultFormat
    public var render: RenderFormat?
    /// Fast R-CNN mode: the region proposals used instead of the RPN's (the caller's boxes in original-image pixels,
    /// or selective search on each image).
    public var proposals: ProposalSource?
    /// How proposals are cropped from the features; nil: RoI Align. Only meaningful with `proposals`.
    public var poolingGiven: RoIPooling?
    /// Decode a JPEG whose data is cut or damaged the way libjpeg does (blocks filled) instead of refusing it.
    public var allowTruncated: Bool

    public init(model: String? = nil, options: DetectOptions = DetectOptions(), classesText: String? = nil,
                boxFormat: BoxFormat? = nil, normalized: Bool? = nil, format: ResultFormat = .argus,
                render: RenderFormat? = nil, proposals: ProposalSource? = nil, pooling: RoIPooling? = nil,
                allowTruncated: Bool = false) {
        self.model = model; self.options = options; self.classesText = classesText
        self.boxFormatGiven = boxFormat; self.normalizedGiven = normalized; self.format = format
        self.render = render; self.proposals = proposals; self.poolingGiven = pooling
        self.allowTruncated = allowTruncated
    }

    public var boxFormat: BoxFormat { boxFormatGiven ?? .xyxy }
    public var normalized: Bool { normalizedGiven ?? false }
    public var pooling: RoIPooling { poolingGiven ?? .align }

    /// The checks that need no model: ranges and combinations, naming the first bad parameter.
    public func validate() throws {
        if let m = model, m.isEmpty { throw PipelineError.invalidParameter("model must not be empty") }
        do { _ = try options.validated() } catch let error as ModelError { throw PipelineError.invalidParameter(error.description) }
        if poolingGiven != nil && proposals == nil {
            throw PipelineError.invalidParameter("pooling applies to Fast R-CNN proposals; give proposals too")
        }
        if format == .coco && (boxFormatGiven != nil || normalizedGiven != nil) {
            throw PipelineError.invalidParameter("format=coco always writes bbox as absolute xywh; drop box_format and normalized")
        }
    }

    /// The options for `model`: `classes` resolved against its class list, everything range-checked; caller
    /// proposals refused unless the model takes them.
    public func options(for model: any Detector) throws -> DetectOptions {
        if proposals != nil, !(model is any ProposalDetector) {
            throw PipelineError.proposalsNeedTwoStage(model.info)
        }
        var resolved = options
        resolved.classes = try Self.resolveClasses(classesText, classNames: model.info.classNames)
        do { return try resolved.validated() } catch let error as ModelError { throw PipelineError.invalidParameter(error.description) }
    }

    /// The one class-filter rule: a comma-separated list of class ids or names (names match in any case); throws
    /// naming the first unknown entry.
    public static func resolveClasses(_ text: String?, classNames: [String]) throws -> Set<Int>? {
        guard let text else { return nil }
        var ids = Set<Int>()
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = raw.trimmingSpaces()
            if item.isEmpty { throw PipelineError.invalidParameter("classes has an empty entry in '\(text)'") }
            if let id = Int(item) {
                guard classNames.indices.contains(id) else {
                    throw PipelineError.invalidParameter("class id \(id) is out of range 0...\(classNames.count - 1)")
                }
                ids.insert(id)
            } else if let id = classNames.firstIndex(where: { $0.lowercased() == item.lowercased() }) {
                ids.insert(id)
            } else {
                throw PipelineError.invalidParameter("unknown class name '\(item)'")
            }
        }
        return ids
    }
}

/// A choice parameter's value (`box_format`, `mask_format`, `format`, ...), any case and surrounding spaces;
/// refused naming the choices.
public func parseChoice<T: RawRepresentable & CaseIterable>(_ text: String, name: String, _ type: T.Type) throws -> T
    where T.RawValue == String {
    guard let value = T(rawValue: text.trimmingSpaces().lowercased()) else {
        throw PipelineError.invalidParameter("\(name) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
    }
    return value
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (parameters come from forms, query strings and flags).
    public func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
