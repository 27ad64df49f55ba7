import ArgusEval
import ArgusImage
import ArgusMask
@testable import ArgusPlots
import Foundation
import XCTest

/// The confusion matrix and the confidence curves against hand-computed values; the plots against the numbers they
/// are drawn from.
final class EvaluationPlotsTests: XCTestCase {
    func box(_ x: Double, _ y: Double, _ w: Double, _ h: Double) -> BoxXYWH { BoxXYWH(x: x, y: y, width: w, height: h) }

    func dataset(_ annotations: [(image: Int, category: Int, box: BoxXYWH, crowd: Bool)]) -> COCODataset {
        COCODataset(images: [COCOImage(id: 1, width: 200, height: 200), COCOImage(id: 2, width: 200, height: 200)],
                    categories: [COCOCategory(id: 1, name: "cat"), COCOCategory(id: 2, name: "dog")],
                    annotations: annotations.enumerated().map { i, a in
                        COCOAnnotation(id: i + 1, imageId: a.image, categoryId: a.category, bbox: a.box,
                                       area: a.box.width * a.box.height, iscrowd: a.crowd)
                    })
    }

    func result(_ image: Int, _ category: Int, _ score: Double, _ box: BoxXYWH) -> COCOResult {
        COCOResult(imageId: image, categoryId: category, score: score, bbox: box)
    }

    func testConfusionMatrixByUltralyticsRule() {
        let gt = dataset([
            (1, 1, box(0, 0, 10, 10), false),    // cat A
            (1, 2, box(20, 20, 10, 10), false),  // dog B
            (1, 1, box(60, 0, 10, 10), false),   // cat C
            (1, 2, box(63, 0, 10, 10), false),   // dog D, overlapping C
            (1, 1, box(150, 150, 20, 20), true), // crowd: no part
            (2, 2, box(0, 0, 10, 10), false),    // dog E, never found
        ])
        let dt = [
            result(1, 1, 0.9, box(0, 0, 10, 10)),      // pairs A (IoU 1): cat as cat
            result(1, 2, 0.8, box(1, 0, 10, 10)),      // best pair A (0.82), taken by the first: unpaired, dog as background
            result(1, 1, 0.6, box(20, 20, 10, 10)),    // pairs B (IoU 1): cat for dog
            result(1, 2, 0.2, box(150, 150, 5, 5)),    // under conf: left out
            result(1, 1, 0.5, box(100, 100, 5, 5)),    // no overlap: cat as background
            result(1, 2, 0.95, box(60, 0, 10, 10)),    // C at IoU 1 (D at 0.54): dog for cat
            // Best C (0.82), which the one above takes; D (0.67) was free, but by Ultralytics' rule a detection only
            // competes for its best ground truth: cat as background, and D stays unfound.
            result(1, 1, 0.7, box(61, 0, 10, 10)),
            result(1, 1, 0.4, box(150, 150, 20, 20)),  // on the crowd region only: cat as background
        ]
        let m = ConfusionMatrix(gt: gt, dt: dt, iou: 0.45, confidence: 0.25)
        XCTAssertEqual(m.categoryIds, [1, 2])
        // rows: predicted cat, dog, background; columns: true cat, dog, background.
        XCTAssertEqual(m.counts, [[1, 1, 3],
                                  [1, 0, 1],
                                  [0, 2, 0]], "\(m.counts)")
    }

    func testOperatingPointsAndConfidenceCurves() {
        let p = OperatingPoints(categoryId: 1, scores: [0.9, 0.8, 0.4], truePositives: [1, 1, 2], groundTruth: 4)
        XCTAssertEqual(p.at(confidence: 0.5).precision, 0.5)
        XCTAssertEqual(p.at(confidence: 0.5).recall, 0.25)
        XCTAssertEqual(p.at(confidence: 0.5).f1, 1.0 / 3, accuracy: 1e-15)
        XCTAssertTrue(p.at(confidence: 0.95) == (1, 0, 0))
        XCTAssertEqual(p.at(confidence: 0.4).precision, 2.0 / 3)
        XCTAssertEqual(p.at(confidence: 0).recall, 0.5)
        let none = OperatingPoints(categoryId: 2, scores: [0.7], truePositives: [0], groundTruth: 0)
        let curves = ConfidenceCurves([p, none], steps: 10)
        XCTAssertEqual(curves.categoryIds, [1], "a category without ground truth takes no part")
        XCTAssertEqual(curves.confidences.count, 11)
        XCTAssertEqual(curves.precision[0][5], 0.5)
        XCTAssertEqual(curves.recall[0][0], 0.5)
        XCTAssertEqual(curves.bestF1.confidence, 0, "the most detections kept gives the best F1 here: 2/3 and 1/2")
        let f1AtZero: Double = 2 * (2.0 / 3) * 0.5 / (2.0 / 3 + 0.5)
        XCTAssertEqual(curves.bestF1.f1, f1AtZero, accuracy: 1e-15)
    }

    /// Every curve drawn averages to the AP pycocotools' summary reports, and the files are written.
    func testPlotsMatchTheEvaluation() throws {
        let gt = dataset([(1, 1, box(0, 0, 10, 10), false), (1, 2, box(20, 20, 10, 10), false), (1, 1, box(60, 0, 10, 10), false),
                          (2, 2, box(0, 0, 10, 10), false), (2, 1, box(30, 30, 20, 20), false)])
        let dt = [result(1, 1, 0.9, box(0, 0, 10, 10)), result(1, 2, 0.8, box(21, 20, 10, 10)), result(1, 1, 0.3, box(62, 1, 10, 10)),
                  result(2, 2, 0.6, box(40, 40, 10, 10)), result(2, 1, 0.7, box(31, 30, 20, 20)), result(2, 2, 0.2, box(0, 1, 10, 10))]
        let report = try Evaluation.run(gt: gt, dt: dt, iouType: .bbox, voc: false, threads: 1)
        let plots = EvaluationPlots(report: report, confusion: ConfusionMatrix(gt: gt, dt: dt), names: [1: "cat", 2: "dog"])
        XCTAssertEqual(plots.prCurve(iouThresholds: plots.iou50Index).ap, report.coco.stats[1], accuracy: 1e-12)
        XCTAssertEqual(plots.prCurve(iouThresholds: Array(report.coco.params.iouThresholds.indices)).ap, report.coco.stats[0], accuracy: 1e-12)
        // The per-category curve is pycocotools' precision row itself.
        let c = report.coco.curves, t50 = plots.iou50Index[0]
        XCTAssertEqual(plots.prCurve(iouThresholds: [t50]).perCategory[0], (0..<c.R).map { c.precision(t50, $0, 0, 0, c.M - 1) })
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("argus-plots-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try plots.write(to: directory)
        XCTAssertEqual(files.map { ($0 as NSString).lastPathComponent },
                       ["pr_curve_iou50.png", "pr_curve_iou50_95.png", "f1_curve.png", "precision_curve.png", "recall_curve.png",
                        "confusion_matrix.png", "plots.json"])
        for file in files where file.hasSuffix(".png") {
            let image = try decodeImage(Array(try Data(contentsOf: URL(fileURLWithPath: file)))).image
            let coloured = stride(from: 0, to: image.pixels.count, by: 3).filter { i in
                let p = image.pixels; return !(p[i] == p[i + 1] && p[i + 1] == p[i + 2])
            }.count
            XCTAssertGreaterThan(coloured, 500, "\(file) has its curves or cells drawn in colour")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: files.last!))) as! [String: Any]
        XCTAssertEqual((json["pr_iou50"] as! [String: Any])["ap"] as! Double, report.coco.stats[1], accuracy: 1e-12)
        XCTAssertEqual((json["confusion_matrix"] as! [String: Any])["labels"] as! [String], ["cat", "dog", "background"])
    }

    func testLinesAndRotatedText() {
        var image = RGBImage(width: 40, height: 40, fill: (255, 255, 255))
        image.drawLine(x0: 2, y0: 3, x1: 30, y1: 3, color: .black)
        XCTAssertEqual(Array(image.pixels[(3 * 40 + 2) * 3..<(3 * 40 + 2) * 3 + 3]), [0, 0, 0])
        XCTAssertEqual(Array(image.pixels[(3 * 40 + 30) * 3..<(3 * 40 + 30) * 3 + 3]), [0, 0, 0])
        XCTAssertEqual(image.pixels[(3 * 40 + 31) * 3], 255)
        image.drawLine(x0: 0, y0: 39, x1: 39, y1: 0, color: .black)
        for i in 0..<40 { XCTAssertEqual(image.pixels[((39 - i) * 40 + i) * 3], 0, "diagonal at \(i)") }
        // "I" turned a quarter left: its stem (the glyph's middle column, 2 of 0...4) becomes row 4 - 2 from the top.
        var text = RGBImage(width: 10, height: 10, fill: (255, 255, 255))
        text.drawTextRotated("I", x: 0, y: 0, color: .black)
        let row2 = (0..<7).map { text.pixels[(2 * 10 + $0) * 3] }
        XCTAssertEqual(row2, [0, 0, 0, 0, 0, 0, 0], "the I's stem, read upwards, is a horizontal run")
    }
}
