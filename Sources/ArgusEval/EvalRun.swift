import Foundation

/// Everything one evaluation produces: COCO numbers, VOC numbers and the validation warnings.
public struct EvalReport: Sendable {
    public let iouType: IoUType
    public let coco: COCOEvalResult
    /// PASCAL VOC AP@0.5 (nil when not requested).
    public let voc: VOCResult?
    public let warnings: [EvalIssue]

    /// `{"stats", "per_category_ap", "ap50_per_category", "voc"?, ...}`: the protocol of `shared/eval/check.py`,
    /// plus `warnings`, named stats and, with `curves`, precision per category over the recall thresholds.
    public func json(includeWarnings: Bool = true, curves: Bool = false) -> String {
        var o = JSONOutput()
        o.raw("{\"stats\": "); o.numbers(coco.stats)
        o.raw(", \"per_category_ap\": "); o.idMap(coco.perCategoryAP)
        o.raw(", \"ap50_per_category\": "); o.idMap(coco.ap50PerCategory)
        if let voc {
            o.raw(", \"voc\": {\"ap50_all_point\": "); o.idMap(voc.ap50AllPoint)
            o.raw(", \"ap50_11_point\": "); o.idMap(voc.ap50ElevenPoint)
            o.raw(", \"map50_all_point\": "); o.number(voc.map50AllPoint)
            o.raw(", \"map50_11_point\": "); o.number(voc.map50ElevenPoint)
            o.raw("}")
        }
        if includeWarnings {
            o.raw(", \"iou_type\": "); o.string(iouType.rawValue)
            o.raw(", \"stats_named\": {")
            for (i, name) in EvalReport.statNames.enumerated() {
                if i > 0 { o.raw(", ") }
                o.string(name); o.raw(": "); o.number(coco.stats[i])
            }
            o.raw("}, \"warnings\": [")
            for (i, w) in warnings.enumerated() {
                if i > 0 { o.raw(", ") }
                o.raw("{\"code\": "); o.string(w.code); o.raw(", \"message\": "); o.string(w.message); o.raw("}")
            }
            o.raw("]")
        }
        if curves {
            let c = coco.curves
            o.raw(", \"curves\": {\"iou_thresholds\": "); o.numbers(coco.params.iouThresholds)
            o.raw(", \"recall_thresholds\": "); o.numbers(coco.params.recallThresholds)
            o.raw(", \"area\": "); o.string(coco.params.areaRanges[0].label)
            o.raw(", \"max_dets\": "); o.raw(String(coco.params.maxDetections.last ?? 0))
            o.raw(", \"precision\": {")
            for (k, id) in coco.categoryIds.enumerated() {
                if k > 0 { o.raw(", ") }
                o.string(String(id)); o.raw(": [")
                for t in 0..<c.T {
                    if t > 0 { o.raw(", ") }
                    o.numbers((0..<c.R).map { c.precision(t, $0, k, 0, c.M - 1) })
                }
                o.raw("]")
            }
            o.raw("}, \"recall\": {")
            for (k, id) in coco.categoryIds.enumerated() {
                if k > 0 { o.raw(", ") }
                o.string(String(id)); o.raw(": ")
                o.numbers((0..<c.T).map { c.recall($0, k, 0, c.M - 1) })
            }
            o.raw("}}")
        }
        o.raw("}")
        return o.text
    }

    /// Names of the 12 stats, in order.
    public static let statNames = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
}

/// Validation, COCO evaluation and VOC evaluation in one call, for the CLI and the HTTP endpoint.
public enum Evaluation {
    /// Validates, then evaluates; throws `EvalError.invalid` with every error found.
    public static func run(gt: COCODataset, dt: [COCOResult], iouType: IoUType, params: EvalParams = EvalParams(),
                           policy: ValidationPolicy = .strict, limits: EvalLimits = EvalLimits(), voc: Bool = true,
                           threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> EvalReport {
        let report = EvalValidator.validate(gt: gt, dt: dt, iouType: iouType, params: params, policy: policy, limits: limits)
        if !report.isValid { throw EvalError.invalid(report.errors) }
        let regions = try SharedRegions(gt: gt, dt: dt, iouType: iouType)
        let coco = try COCOEvaluator(gt: gt, dt: dt, iouType: iouType, params: params, regions: regions, threads: threads).evaluate()
        let vocResult = voc ? VOCEvaluator.evaluate(gt: gt, dt: dt, regions: regions) : nil
        return EvalReport(iouType: iouType, coco: coco, voc: vocResult, warnings: report.warnings)
    }
}
