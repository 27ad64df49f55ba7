/// One category's detections at one IoU threshold, in pycocotools' accumulate order (descending score, area "all",
/// the largest maxDets), with the running true and false positive counts after each: what a precision-recall curve
/// and the precision / recall / F1 against confidence curves are read from.
public struct OperatingPoints: Sendable, Equatable {
    public let categoryId: Int
    /// Scores of the detections that count (ignored ones left out), descending.
    public let scores: [Double]
    /// True positives among the first i+1 detections.
    public let truePositives: [Int]
    /// Non-ignored ground-truth objects.
    public let groundTruth: Int

    public init(categoryId: Int, scores: [Double], truePositives: [Int], groundTruth: Int) {
        self.categoryId = categoryId; self.scores = scores; self.truePositives = truePositives; self.groundTruth = groundTruth
    }

    /// Precision, recall and F1 when only detections scoring at least `confidence` are kept (1, 0, 0 when none is).
    public func at(confidence: Double) -> (precision: Double, recall: Double, f1: Double) {
        // The kept detections are a prefix: the first index whose score is below the confidence ends it.
        var lo = 0, hi = scores.count
        while lo < hi { let mid = (lo + hi) >> 1; if scores[mid] >= confidence { lo = mid + 1 } else { hi = mid } }
        guard lo > 0, groundTruth > 0 else { return (1, 0, 0) }
        let tp = Double(truePositives[lo - 1])
        let precision = tp / Double(lo), recall = tp / Double(groundTruth)
        let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        return (precision, recall, f1)
    }
}

/// Precision, recall and F1 against the confidence threshold, per category and averaged over the categories that
/// have ground truth (as Ultralytics plots them, but stepwise: no interpolation between detections).
public struct ConfidenceCurves: Sendable {
    /// The confidence thresholds: 0, 0.01, ..., 1.
    public let confidences: [Double]
    public let categoryIds: [Int]
    /// Per category (the order of `categoryIds`), one value per confidence.
    public let precision: [[Double]], recall: [[Double]], f1: [[Double]]

    public init(_ points: [OperatingPoints], steps: Int = 100) {
        let counted = points.filter { $0.groundTruth > 0 }
        confidences = (0...steps).map { Double($0) / Double(steps) }
        categoryIds = counted.map(\.categoryId)
        var p: [[Double]] = [], r: [[Double]] = [], f: [[Double]] = []
        for category in counted {
            let values = confidences.map { category.at(confidence: $0) }
            p.append(values.map(\.precision)); r.append(values.map(\.recall)); f.append(values.map(\.f1))
        }
        precision = p; recall = r; f1 = f
    }

    /// The mean over categories at each confidence.
    public static func mean(_ rows: [[Double]]) -> [Double] {
        guard let first = rows.first else { return [] }
        return first.indices.map { i in rows.reduce(0) { $0 + $1[i] } / Double(rows.count) }
    }

    /// The confidence with the highest mean F1, and that F1 (the first such confidence on ties).
    public var bestF1: (confidence: Double, f1: Double) {
        let mean = Self.mean(f1)
        guard let best = mean.indices.max(by: { mean[$0] < mean[$1] || (mean[$0] == mean[$1] && $0 > $1) }) else { return (0, 0) }
        return (confidences[best], mean[best])
    }
}

extension PreparedEval {
    /// Each category's operating points at IoU threshold index `t`.
    func operatingPoints(_ cells: CellResults, t: Int) -> [OperatingPoints] {
        let T = params.iouThresholds.count, A = params.areaRanges.count
        let maxDet = params.maxDetections.last ?? 0
        let I = max(imageIds.count, 1), K = categoryKeys.count
        var byCategory = [[Int]](repeating: [], count: K)
        for c in 0..<cellCount { byCategory[cellKey[c] / I].append(c) }
        return (0..<K).map { k in
            var entries: [(score: Double, order: Int, flag: UInt8)] = []
            var groundTruth = 0
            for c in byCategory[k] {
                groundTruth += Int(cells.npig[c * A])
                let s = cells.dtStart[c], D = cells.dtStart[c + 1] - s
                for j in 0..<min(max(maxDet, 0), D) {
                    entries.append((cells.scores[s + j], entries.count, cells.flags[s * A * T + t * D + j]))
                }
            }
            entries.sort { $0.score > $1.score || ($0.score == $1.score && $0.order < $1.order) }
            var scores: [Double] = [], tps: [Int] = [], tp = 0
            for e in entries where e.flag & CellFlag.ignored == 0 {
                if e.flag & CellFlag.matched != 0 { tp += 1 }
                scores.append(e.score); tps.append(tp)
            }
            return OperatingPoints(categoryId: categoryKeys[k], scores: scores, truePositives: tps, groundTruth: groundTruth)
        }
    }
}
