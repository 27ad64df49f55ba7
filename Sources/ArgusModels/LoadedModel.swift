/// Any model Argus can serve: a detector (boxes, optionally instance masks), a semantic segmenter or an image
/// classifier.
public enum LoadedModel: Sendable {
    case detector(any Detector)
    case semantic(any SemanticSegmenter)
    case classifier(any ImageClassifier)

    public var info: ModelInfo {
        switch self {
        case .detector(let m): return m.info
        case .semantic(let m): return m.info
        case .classifier(let m): return m.info
        }
    }

    /// The detector, or nil for a semantic model.
    public var detector: (any Detector)? {
        if case .detector(let m) = self { return m }
        return nil
    }

    /// The semantic segmenter, or nil for another kind of model.
    public var semantic: (any SemanticSegmenter)? {
        if case .semantic(let m) = self { return m }
        return nil
    }

    /// The image classifier, or nil for another kind of model.
    public var classifier: (any ImageClassifier)? {
        if case .classifier(let m) = self { return m }
        return nil
    }
}
