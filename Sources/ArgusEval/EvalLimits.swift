/// Upper bounds on evaluation input, checked before any work; the server may lower them per request.
public struct EvalLimits: Sendable, Equatable {
    /// GT images (default 1,000,000).
    public var maxImages = 1_000_000
    /// GT categories (default 100,000).
    public var maxCategories = 100_000
    /// GT annotations (default 20,000,000).
    public var maxAnnotations = 20_000_000
    /// Detections in the results list (default 20,000,000).
    public var maxResults = 20_000_000
    /// Entries in `iouThrs` and in `recThrs`, each (default 1,001).
    public var maxThresholds = 1_001
    /// Entries in `maxDets` and in `areaRng`, each (default 64).
    public var maxListParams = 64
    /// Pixels per image for mask evaluation, height × width (default 100,000,000).
    public var maxImagePixels = 100_000_000
    /// Entries of the precision array, thresholds × recall thresholds × categories × area ranges × maxDets
    /// (default 200,000,000, i.e. 1.6 GB; COCO defaults with 80 categories use 1.2 million).
    public var maxCurveEntries = 200_000_000

    /// The defaults listed above.
    public init() {}
}

/// How strictly input is judged.
public enum ValidationPolicy: Sendable {
    /// Argus' default: likely mistakes (unknown or 0-based category ids, empty results, box-only results for
    /// segm) are errors.
    case strict
    /// Accept everything pycocotools evaluates: such input only warns, and is handled as pycocotools does.
    case pycocotools
}
