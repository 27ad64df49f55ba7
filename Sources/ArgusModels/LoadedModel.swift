/// Any model Argus can serve: a detector (boxes, optionally instance masks) or a semantic segmenter.
public enum LoadedModel: Sendable {
    case detector(any Detector)
    case semantic(any SemanticSegmenter)

    public var info: ModelInfo {
        switch self {
        case .detector(let m): return m.info
        case .semantic(let m): return m.info
        }
    }

    /// The detector, or nil for a semantic model.
    public var detector: (any Detector)? {
        if case .detector(let m) = self { return m }
        return nil
    }

    /// The semantic segmenter, or nil for a detector.
    public var semantic: (any SemanticSegmenter)? {
        if case .semantic(let m) = self { return m }
        return nil
    }
}
