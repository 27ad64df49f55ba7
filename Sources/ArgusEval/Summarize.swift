import Foundation

/// One line of pycocotools' summary: which slice of precision/recall it averages.
public struct SummaryStat: Sendable {
    public let isAP: Bool
    public let iouThreshold: Double?
    public let areaLabel: String
    public let maxDets: Int
    public let value: Double
}

extension PrecisionRecall {
    /// `COCOeval.summarize()._summarize`: the mean of entries > -1 in the selected slice, or -1.
    func summarizeOne(ap: Bool, iouThr: Double?, areaLabel: String, maxDets: Int, params: EvalParams) -> Double {
        let tSel = iouThr.map { thr in params.iouThresholds.indices.filter { params.iouThresholds[$0] == thr } }
            ?? Array(0..<T)
        let aind = params.areaRanges.indices.filter { params.areaRanges[$0].label == areaLabel }
        let mind = params.maxDetections.indices.filter { params.maxDetections[$0] == maxDets }
        // numpy pairs the two index lists (broadcasting a length-1 list); mismatched lengths select nothing.
        var pairs = [(Int, Int)]()
        if aind.count == mind.count { pairs = Array(zip(aind, mind)) }
        else if aind.count == 1 { pairs = mind.map { (aind[0], $0) } }
        else if mind.count == 1 { pairs = aind.map { ($0, mind[0]) } }
        var vals = [Double]()
        if ap {
            for t in tSel { for r in 0..<R { for k in 0..<K { for (a, m) in pairs {
                let v = precision(t, r, k, a, m); if v > -1 { vals.append(v) }
            } } } }
        } else {
            for t in tSel { for k in 0..<K { for (a, m) in pairs {
                let v = recall(t, k, a, m); if v > -1 { vals.append(v) }
            } } }
        }
        return vals.isEmpty ? -1 : numpyMean(vals)
    }

    /// The 12 numbers of `COCOeval.stats` for bbox/segm, with their descriptions.
    func summarize(params: EvalParams) -> [SummaryStat] {
        let md = params.maxDetections
        let specs: [(Bool, Double?, String, Int)] = [
            (true, nil, "all", 100), (true, 0.5, "all", md[2]), (true, 0.75, "all", md[2]),
            (true, nil, "small", md[2]), (true, nil, "medium", md[2]), (true, nil, "large", md[2]),
            (false, nil, "all", md[0]), (false, nil, "all", md[1]), (false, nil, "all", md[2]),
            (false, nil, "small", md[2]), (false, nil, "medium", md[2]), (false, nil, "large", md[2]),
        ]
        return specs.map { ap, thr, area, m in
            SummaryStat(isAP: ap, iouThreshold: thr, areaLabel: area, maxDets: m,
                        value: summarizeOne(ap: ap, iouThr: thr, areaLabel: area, maxDets: m, params: params))
        }
    }

    /// Per category: mean of `precision[tSel, :, k, 0, -1]` over entries > -1, or -1.
    func perCategoryAP(k: Int, thresholds tSel: [Int]) -> Double {
        var vals = [Double]()
        for t in tSel { for r in 0..<R { let v = precision(t, r, k, 0, M - 1); if v > -1 { vals.append(v) } } }
        return vals.isEmpty ? -1 : numpyMean(vals)
    }
}

/// pycocotools' printed summary table, one line per stat.
func summaryTable(_ stats: [SummaryStat], params: EvalParams) -> String {
    let thr = params.iouThresholds
    let allStr = thr.isEmpty ? "" : String(format: "%0.2f:%0.2f", thr[0], thr[thr.count - 1])
    return stats.map { s in
        let title = s.isAP ? "Average Precision" : "Average Recall"
        let type = s.isAP ? "(AP)" : "(AR)"
        let iou = s.iouThreshold.map { String(format: "%0.2f", $0) } ?? allStr
        return " " + pad(title, 18) + " " + type + " @[ IoU=" + pad(iou, 9) + " | area=" + padLeft(s.areaLabel, 6)
            + " | maxDets=" + padLeft(String(s.maxDets), 3) + " ] = " + String(format: "%0.3f", s.value)
    }.joined(separator: "\n")
}

private func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
private func padLeft(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
