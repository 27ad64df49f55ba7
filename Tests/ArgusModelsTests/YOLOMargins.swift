import ArgusDetection
import ArgusMask
import Foundation
import XCTest

/// Margin-aware acceptance for the YOLO reference tests (YOLOv5, YOLOv8, YOLOX), on top of ReferenceMargins.swift.
///
/// Each fixture image carries a `noise` record made by running the reference again in float64
/// (tools/yolo_reference_noise.py and the generators' `--noise-only`): the relative noise of the head outputs,
/// reference_noise.py's detection noise (score, box, unstable items, cut), and the margins of the YOLO
/// decisions a rounding can flip: the best class (`class_gap`), class-aware NMS (`nms`: each reference item's
/// IoU margin below the threshold and its score gap to a candidate it suppressed, the suppressed candidates'
/// margins above it), and for masks the pixels near the logit threshold or a crop edge. Noise is the largest
/// over the reference's float32 runs in several summation orders (oneDNN, PyTorch's im2col GEMM, channels_last)
/// against float64: one float32 run is one sample of the rounding. All tolerances are
/// `ReferenceNoise.multiple` (10) times the measured noise, with a small floor; a decision whose margin is
/// within `ReferenceNoise.borderMultiple` (2) times the noise makes its item borderline, as for the R-CNNs.
enum YOLOMargins {
    /// Floor of a relative head tolerance: a float32 value is good to ~1e-7 relative; 100x that.
    static let headFloor = 1e-5
    /// Floor of the NMS IoU band (an IoU is a ratio of float32 areas, like a score).
    static let iouFloor = 1e-5
    /// Floor of the mask logit band.
    static let logitFloor = 1e-5

    /// Relative tolerance for a head value from its measured relative noise (a missing record gives the floor).
    static func headTolerance(_ noise: Any?) -> Double {
        max(ReferenceNoise.multiple * ((noise as? Double) ?? 0), headFloor)
    }

    /// The `noise` record of a fixture image (fails with a hint when it is missing).
    static func record(_ entry: [String: Any], _ what: String) throws -> [String: Any] {
        try XCTUnwrap(entry["noise"] as? [String: Any], "\(what): the fixture has no float32 noise record (run the generator with --noise-only)")
    }

    /// Reference items whose class choice or NMS decision lies within the reference's noise of flipping
    /// (ReferenceNoise.borderMultiple, 2x: the IoU noise for NMS IoU margins, the item's score noise for NMS and
    /// class near-ties), and how many suppressed candidates ours may keep instead (or besides).
    struct Decisions {
        let borderline: Set<Int>
        let possibleExtras: Int
        let iouBand: Double

        init(_ noise: [String: Any], count: Int, scoreBand: (Int) -> Double, listScoreBand: Double) throws {
            let nms = try XCTUnwrap(noise["nms"] as? [String: Any], "no NMS margins in the noise record")
            let iouBand = max(ReferenceNoise.borderMultiple * (try XCTUnwrap(nms["iou_noise"] as? Double)), YOLOMargins.iouFloor)
            self.iouBand = iouBand
            let margin = try XCTUnwrap(nms["margin"] as? [Any]), gap = try XCTUnwrap(nms["gap"] as? [Any])
            let classGap = (noise["class_gap"] as? [Any]) ?? []
            XCTAssertEqual(margin.count, count, "NMS margins for every reference item")
            var border = Set<Int>()
            for i in 0..<count {
                // Kept with an IoU just below the threshold, or over a candidate of nearly its score (the sort of a
                // near-tie decides which of the two survives), or with a near-tie between its two best classes.
                if let m = margin[i] as? Double, m <= iouBand { border.insert(i) }
                if i < gap.count, let g = gap[i] as? Double, g <= scoreBand(i) { border.insert(i) }
                if i < classGap.count, let g = classGap[i] as? Double, g <= scoreBand(i) { border.insert(i) }
            }
            borderline = border
            let suppressed = (nms["suppressed"] as? [[Double]]) ?? []
            possibleExtras = suppressed.filter { $0[0] <= iouBand || $0[1] <= listScoreBand }.count
        }
    }

    /// The reference list against ours: ReferenceMatch.check with per-item tolerances and YOLO's decisions.
    /// Every reference item clear of every decision is matched: same class, score and every corner within 10x
    /// the larger of the list's typical noise and the item's own |float32 - float64| difference (`own`: the
    /// largest over the reference's float32 runs in several summation orders, its sensitivity on that item; ours
    /// on it is of the same order, so a list-wide typical alone fails the most sensitive items), with
    /// ReferenceNoise's floors. Borderline items (flipped by the reference's own float64 run or by one of its
    /// float32 runs in another summation order, or within twice their noise of the cut, an NMS or a class
    /// decision) may be missing, are printed and are at most `borderlineBound` of the list; our count is off by
    /// no more than the borderline items plus the candidates a decision within the noise could add.
    @discardableResult
    static func checkDetections(_ mine: [ReferenceItem], against reference: [ReferenceItem], noise record: [String: Any],
                                borderlineBound: Double, _ what: String,
                                file: StaticString = #filePath, line: UInt = #line) throws -> ReferenceMatch {
        let noise = try ReferenceNoise(record["detections"], what)
        let own = try XCTUnwrap(record["own"] as? [String: Any], "\(what): no per-item noise (regenerate the noise record)")
        XCTAssertEqual((own["score"] as? [Any])?.count, reference.count, "\(what): per-item noise for every reference item")
        func scoreBand(_ i: Int) -> Double {
            max(ReferenceNoise.borderMultiple * max(noise.score, ownValue(own, "score", i)), noise.scoreBand)
        }
        let decisions = try Decisions(record, count: reference.count, scoreBand: scoreBand, listScoreBand: noise.scoreBand)
        // Flipped by one of the reference's float32 runs in another summation order, or at the cut within the
        // item's own noise.
        let flipped = Set((own["flipped"] as? [Int]) ?? [])
        let atCut = Set(reference.indices.filter { i in noise.cut.map { reference[i].score - $0 <= scoreBand(i) } ?? false })
        let extra64 = ((record["detections"] as? [String: Any])?["extra"] as? Int) ?? 0
        print("\(what): \(decisions.borderline.count) items within the noise of an NMS/class decision (IoU band \(decisions.iouBand))")
        return ReferenceMatch.check(mine, against: reference, noise: noise, borderlineBound: borderlineBound,
                                    tolerance: { itemTolerances(record, noise, $0) },
                                    alsoBorderline: decisions.borderline.union(flipped).union(atCut),
                                    extraAllowance: decisions.possibleExtras + extra64, what, file: file, line: line)
    }

    static func ownValue(_ own: [String: Any]?, _ key: String, _ i: Int) -> Double {
        guard let list = own?[key] as? [Any], i < list.count else { return 0 }
        return list[i] as? Double ?? 0
    }

    /// Reference item `i`'s score and corner tolerances: 10x the larger of the list's typical noise and the item's
    /// own |float32 - float64| difference (the `own` record), at least ReferenceNoise's floors.
    static func itemTolerances(_ record: [String: Any], _ noise: ReferenceNoise, _ i: Int) -> (score: Double, corner: Double) {
        let own = record["own"] as? [String: Any]
        return (max(ReferenceNoise.multiple * max(noise.score, ownValue(own, "score", i)), ReferenceNoise.scoreFloor),
                max(ReferenceNoise.multiple * max(noise.box, ownValue(own, "box", i)), ReferenceNoise.cornerFloor))
    }

    /// Items from a YOLO fixture's detections list ({box, score, class_id}).
    static func items(_ list: [[String: Any]]) -> [ReferenceItem] {
        list.map { d in
            let b = (d["box"] as! [Double]).map(Float.init)
            return ReferenceItem(box: Box(x1: b[0], y1: b[1], x2: b[2], y2: b[3]), score: d["score"] as! Double,
                                 label: d["class_id"] as! Int)
        }
    }

    /// A mask may differ from the reference's only in pixels the reference puts within its noise of a decision:
    /// a logit within 10x its measured logit noise of 0 (`near`), or a pixel in a row/column that a box edge within
    /// the corner tolerance of an integer adds or removes (`edge`). Returns (differing pixels, allowed).
    static func maskBudget(_ got: RLE, _ expected: RLE, _ n: [String: Any], logitBands: [Double], edgeBands: [Double],
                           cornerTolerance: Double) throws -> (differing: Int, allowed: Int, band: Double) {
        let (inter, union) = RLE.intersectionAndUnion(got, expected)
        let band = max(ReferenceNoise.multiple * (try XCTUnwrap(n["logit"] as? Double)), logitFloor)
        let near = try XCTUnwrap(n["near"] as? [Int]), edge = try XCTUnwrap(n["edge"] as? [Int])
        let nearAllowed = near[logitBands.firstIndex { $0 >= band } ?? (logitBands.count - 1)]
        let edgeAllowed = edge[edgeBands.firstIndex { $0 >= cornerTolerance } ?? (edgeBands.count - 1)]
        return (union - inter, nearAllowed + edgeAllowed, band)
    }
}
