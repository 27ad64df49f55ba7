import Foundation

/// The outcome of a COCO evaluation: pycocotools' `stats`, per-category AP and the full curves.
public struct COCOEvalResult: Sendable {
    /// The 12 `COCOeval.stats` numbers (AP, AP50, AP75, APs/m/l, AR@maxDets[0..2], ARs/m/l); -1 = nothing to average.
    public let stats: [Double]
    /// The stats with the slice each one averages.
    public let summary: [SummaryStat]
    /// Evaluated category ids, in the order of the K axis (`[-1]` when `useCats=0`).
    public let categoryIds: [Int]
    /// AP@[.5:.95] per category (area all, largest maxDets); -1 when the category has no GT.
    public let perCategoryAP: [Int: Double]
    /// AP@0.5 per category; -1 when 0.5 is not among the IoU thresholds or there is no GT.
    public let ap50PerCategory: [Int: Double]
    /// Precision/recall arrays as `COCOeval.eval['precision'|'recall']`.
    public let curves: PrecisionRecall
    /// Per category, its detections' running true positives at IoU 0.5 (area all, largest maxDets), for curves
    /// against confidence; empty when 0.5 is not an IoU threshold.
    public let operatingPoints50: [OperatingPoints]
    /// The parameters used (maxDets sorted).
    public let params: EvalParams

    /// pycocotools' summary table as `summarize()` prints it.
    public var summaryText: String { summaryTable(summary, params: params) }
}

/// COCO detection/segmentation evaluation with pycocotools 2.0.11 semantics (`evaluate`, `accumulate`, `summarize`).
public struct COCOEvaluator {
    public let iouType: IoUType
    public let params: EvalParams
    let prepared: PreparedEval
    /// Worker threads for matching and accumulation.
    public var threads: Int

    /// Prepares an evaluation; throws `EvalError.invalid` for parameters pycocotools cannot summarise
    /// and malformed regions. Run `EvalValidator` first for user-facing checks of ids and results.
    public init(gt: COCODataset, dt: [COCOResult], iouType: IoUType, params: EvalParams = EvalParams(),
                threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        try self.init(gt: gt, dt: dt, iouType: iouType, params: params,
                      regions: SharedRegions(gt: gt, dt: dt, iouType: iouType), threads: threads)
    }

    /// As `init(gt:dt:iouType:params:threads:)`, reusing regions already built (e.g. for VOC too).
    public init(gt: COCODataset, dt: [COCOResult], iouType: IoUType, params: EvalParams,
                regions: SharedRegions, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        let issues = EvalValidator.checkParams(params, categories: Set(params.categoryIds ?? gt.categories.map(\.id)).count)
        if !issues.isEmpty { throw EvalError.invalid(issues) }
        self.iouType = iouType
        self.prepared = PreparedEval(gt: gt, dt: dt, iouType: iouType, params: params, shared: regions)
        self.params = prepared.params
        self.threads = max(1, threads)
    }

    /// Runs matching, accumulation and summary.
    public func evaluate() -> COCOEvalResult {
        let cells = prepared.evaluateCells(threads: threads)
        let curves = prepared.accumulate(cells, threads: threads)
        let summary = curves.summarize(params: params)
        let allT = Array(0..<params.iouThresholds.count)
        let t50 = params.iouThresholds.indices.filter { params.iouThresholds[$0] == 0.5 }
        var ap = [Int: Double](), ap50 = [Int: Double]()
        for (k, id) in prepared.categoryKeys.enumerated() {
            ap[id] = curves.perCategoryAP(k: k, thresholds: allT)
            ap50[id] = t50.isEmpty ? -1 : curves.perCategoryAP(k: k, thresholds: t50)
        }
        let points = t50.first.map { prepared.operatingPoints(cells, t: $0) } ?? []
        return COCOEvalResult(stats: summary.map(\.value), summary: summary, categoryIds: prepared.categoryKeys,
                              perCategoryAP: ap, ap50PerCategory: ap50, curves: curves, operatingPoints50: points, params: params)
    }
}
