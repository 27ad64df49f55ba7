import ArgusEval
import ArgusImage
import ArgusJSON
import Foundation

/// `argus eval --plots DIR`: what an evaluation looks like, as PNGs, with the plotted numbers beside them in
/// plots.json.
///
/// - pr_curve_iou50.png, pr_curve_iou50_95.png: precision against recall, pycocotools' `precision[t, :, k, area all,
///   largest maxDets]` over its recall thresholds, per category (thin) and averaged over the categories with ground
///   truth (thick); 0.5:0.95 averages the IoU thresholds too. Each mean curve's average is the AP it is labelled with.
/// - f1_curve.png, precision_curve.png, recall_curve.png: F1, precision and recall at IoU 0.5 against the
///   confidence threshold (`ConfidenceCurves`).
/// - confusion_matrix.png: `ConfusionMatrix`, each column (true class) divided by its total, as Ultralytics draws it.
public struct EvaluationPlots: Sendable {
    public let report: EvalReport
    public let confusion: ConfusionMatrix
    /// Category names by id (the ground truth's categories).
    public let names: [Int: String]

    public init(report: EvalReport, confusion: ConfusionMatrix, names: [Int: String]) {
        self.report = report; self.confusion = confusion; self.names = names
    }

    /// A precision-recall curve: the recall thresholds, and per category (those with ground truth) the precision at
    /// each, averaged over the IoU threshold indices `thresholds`.
    public struct PRCurve: Sendable {
        public let recall: [Double]
        public let categoryIds: [Int]
        public let perCategory: [[Double]]
        /// The mean over categories at each recall threshold; its mean over the thresholds is the AP.
        public let mean: [Double]
        public var ap: Double { mean.isEmpty ? -1 : mean.reduce(0, +) / Double(mean.count) }
    }

    public func prCurve(iouThresholds thresholds: [Int]) -> PRCurve {
        let c = report.coco.curves, recall = report.coco.params.recallThresholds
        var ids: [Int] = [], rows: [[Double]] = []
        for (k, id) in report.coco.categoryIds.enumerated() {
            let row = (0..<c.R).map { r in thresholds.map { c.precision($0, r, k, 0, c.M - 1) } }
            // pycocotools marks a category without ground truth -1 everywhere: it takes no part in the mean.
            guard !thresholds.isEmpty, row.allSatisfy({ $0.allSatisfy { $0 > -1 } }) else { continue }
            ids.append(id)
            rows.append(row.map { $0.reduce(0, +) / Double($0.count) })
        }
        return PRCurve(recall: recall, categoryIds: ids, perCategory: rows, mean: ConfidenceCurves.mean(rows))
    }

    public var iou50Index: [Int] { report.coco.params.iouThresholds.indices.filter { report.coco.params.iouThresholds[$0] == 0.5 } }
    public var confidenceCurves: ConfidenceCurves { ConfidenceCurves(report.coco.operatingPoints50) }

    static let meanColor = RGBColor(11, 99, 197)

    private func curvePlot(title: String, x: String, y: String, xs: [Double], rows: [[Double]], ids: [Int], mean: [Double],
                           meanName: String) -> RGBImage {
        var plot = LinePlot(title: title, xLabel: x, yLabel: y)
        // With many categories each one's line is faint; a few stay distinguishable in their class colours.
        let faint = rows.count > 20
        for (k, row) in rows.enumerated() {
            let color = faint ? RGBColor(170, 176, 184) : RGBColor.forClass(ids[k])
            plot.series.append(.init(points: Array(zip(xs, row)).map { ($0, $1) }, color: color,
                                     name: faint ? (k == 0 ? "each class (\(rows.count))" : nil) : label(ids[k])))
        }
        plot.series.append(.init(points: Array(zip(xs, mean)).map { ($0, $1) }, color: Self.meanColor, thickness: 4, name: meanName))
        return plot.render()
    }

    private func label(_ id: Int) -> String { names[id] ?? "class \(id)" }

    /// The images by file name.
    public func images() -> [(file: String, image: RGBImage)] {
        var out: [(String, RGBImage)] = []
        let t50 = iou50Index
        if !t50.isEmpty {
            let pr = prCurve(iouThresholds: t50)
            out.append(("pr_curve_iou50.png", curvePlot(title: "Precision-recall, IoU 0.5", x: "Recall", y: "Precision",
                                                         xs: pr.recall, rows: pr.perCategory, ids: pr.categoryIds, mean: pr.mean,
                                                         meanName: String(format: "all classes: AP50 %.3f", pr.ap))))
        }
        let all = prCurve(iouThresholds: Array(report.coco.params.iouThresholds.indices))
        out.append(("pr_curve_iou50_95.png", curvePlot(title: "Precision-recall, IoU 0.5:0.95", x: "Recall", y: "Precision",
                                                        xs: all.recall, rows: all.perCategory, ids: all.categoryIds, mean: all.mean,
                                                        meanName: String(format: "all classes: AP %.3f", all.ap))))
        if !t50.isEmpty {
            let curves = confidenceCurves, best = curves.bestF1
            for (file, name, rows) in [("f1_curve.png", "F1", curves.f1), ("precision_curve.png", "Precision", curves.precision),
                                       ("recall_curve.png", "Recall", curves.recall)] {
                let mean = ConfidenceCurves.mean(rows)
                let meanName = name == "F1" ? String(format: "all classes: F1 %.2f at %.2f", best.f1, best.confidence) : "all classes"
                out.append((file, curvePlot(title: "\(name) against confidence, IoU 0.5", x: "Confidence", y: name,
                                            xs: curves.confidences, rows: rows, ids: curves.categoryIds, mean: mean, meanName: meanName)))
            }
        }
        out.append(("confusion_matrix.png", MatrixPlot(
            title: String(format: "Confusion matrix, IoU over %.2f, conf over %.2f", confusion.iouThreshold, confusion.confidence),
            rowLabel: "Predicted", columnLabel: "True",
            labels: confusion.categoryIds.map(label) + ["background"], values: normalizedConfusion()).render()))
        return out
    }

    /// Each column divided by its total (0 for an empty column).
    public func normalizedConfusion() -> [[Double]] {
        let counts = confusion.counts, n = counts.count
        let totals = (0..<n).map { c in counts.reduce(0) { $0 + $1[c] } }
        return counts.map { row in row.enumerated().map { c, v in totals[c] > 0 ? Double(v) / Double(totals[c]) : 0 } }
    }

    /// The plotted numbers, for checking the pictures against their sources.
    public func json() -> JSONValue {
        func numbers(_ values: [Double]) -> JSONValue { .array(values.map { .number($0) }) }
        func curve(_ pr: PRCurve) -> JSONValue {
            .object([("recall", numbers(pr.recall)), ("mean", numbers(pr.mean)), ("ap", .number(pr.ap)),
                     ("per_category", .object(zip(pr.categoryIds, pr.perCategory).map { (String($0), numbers($1)) }))])
        }
        var members: [(String, JSONValue)] = []
        if !iou50Index.isEmpty { members.append(("pr_iou50", curve(prCurve(iouThresholds: iou50Index)))) }
        members.append(("pr_iou50_95", curve(prCurve(iouThresholds: Array(report.coco.params.iouThresholds.indices)))))
        if !iou50Index.isEmpty {
            let c = confidenceCurves, best = c.bestF1
            func byCategory(_ rows: [[Double]]) -> JSONValue {
                .object([("mean", numbers(ConfidenceCurves.mean(rows))),
                         ("per_category", .object(zip(c.categoryIds, rows).map { (String($0), numbers($1)) }))])
            }
            members.append(("confidence", .object([
                ("confidence", numbers(c.confidences)), ("precision", byCategory(c.precision)), ("recall", byCategory(c.recall)),
                ("f1", byCategory(c.f1)), ("best_f1", .object([("confidence", .number(best.confidence)), ("f1", .number(best.f1))])),
            ])))
        }
        members.append(("confusion_matrix", .object([
            ("iou", .number(confusion.iouThreshold)), ("conf", .number(confusion.confidence)),
            ("category_ids", .array(confusion.categoryIds.map { .number(Double($0)) })),
            ("labels", .array((confusion.categoryIds.map(label) + ["background"]).map { .string($0) })),
            ("counts", .array(confusion.counts.map { row in .array(row.map { .number(Double($0)) }) })),
        ])))
        return .object(members)
    }

    /// Writes the PNGs and plots.json into `directory` (created if needed); returns the files written.
    @discardableResult
    public func write(to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var written: [String] = []
        for (file, image) in images() {
            let path = (directory as NSString).appendingPathComponent(file)
            try Data(try encodePNG(image)).write(to: URL(fileURLWithPath: path))
            written.append(path)
        }
        let path = (directory as NSString).appendingPathComponent("plots.json")
        try Data((json().serialized() + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return written + [path]
    }
}
