/// An area range `[lo, hi]`, closed at both ends as in pycocotools, with its summary label.
public struct AreaRange: Equatable, Sendable {
    public var label: String
    public var lo: Double
    public var hi: Double
    public init(_ label: String, _ lo: Double, _ hi: Double) { self.label = label; self.lo = lo; self.hi = hi }

    /// True when `area` is outside `[lo, hi]`.
    @inlinable func excludes(_ area: Double) -> Bool { area < lo || area > hi }
}

/// `COCOeval.params` for bbox/segm evaluation; the defaults are pycocotools' float64 values.
public struct EvalParams: Equatable, Sendable {
    /// IoU thresholds; default `np.linspace(.5, .95, 10)`.
    public var iouThresholds: [Double]
    /// Recall thresholds; default `np.linspace(0, 1, 101)`.
    public var recallThresholds: [Double]
    /// Detections per image considered; sorted ascending before use (default 1, 10, 100).
    public var maxDetections: [Int]
    /// Area ranges; the first is "all".
    public var areaRanges: [AreaRange]
    /// False for class-agnostic evaluation (`useCats=0`).
    public var useCategories: Bool
    /// Images to evaluate; nil = all GT images.
    public var imageIds: [Int]?
    /// Categories to evaluate; nil = all GT categories.
    public var categoryIds: [Int]?

    public init(iouThresholds: [Double] = EvalParams.defaultIoUThresholds,
                recallThresholds: [Double] = EvalParams.defaultRecallThresholds,
                maxDetections: [Int] = [1, 10, 100],
                areaRanges: [AreaRange] = EvalParams.defaultAreaRanges,
                useCategories: Bool = true, imageIds: [Int]? = nil, categoryIds: [Int]? = nil) {
        self.iouThresholds = iouThresholds
        self.recallThresholds = recallThresholds
        self.maxDetections = maxDetections
        self.areaRanges = areaRanges
        self.useCategories = useCategories
        self.imageIds = imageIds
        self.categoryIds = categoryIds
    }

    /// `np.linspace(.5, 0.95, 10)`: 0.9 is 0.8999999999999999.
    public static let defaultIoUThresholds = linspace(0.5, 0.95, 10)
    /// `np.linspace(0, 1, 101)`, i.e. `i * 0.01`.
    public static let defaultRecallThresholds = linspace(0.0, 1.0, 101)
    /// all, small (≤ 32²), medium (32²…96²), large (≥ 96²); the upper bound is 1e5².
    public static let defaultAreaRanges = [
        AreaRange("all", 0, 1e10), AreaRange("small", 0, 1024),
        AreaRange("medium", 1024, 9216), AreaRange("large", 9216, 1e10),
    ]

    /// `numpy.linspace(start, stop, num)` with numpy's float64 arithmetic: `i*step + start`, last = `stop`.
    public static func linspace(_ start: Double, _ stop: Double, _ num: Int) -> [Double] {
        guard num > 0 else { return [] }
        guard num > 1 else { return [start] }
        let step = (stop - start) / Double(num - 1)
        var out = (0..<num).map { Double($0) * step + start }
        out[num - 1] = stop
        return out
    }
}
