import ArgusDetection
import Foundation
import XCTest

/// Margin-aware acceptance of a list of detections against a float32 reference.
///
/// The fixtures record the reference's own float32 noise: the same network run again in float64
/// (tools/reference_noise.py), its largest score and box-corner differences, the float32 items the float64
/// run does not reproduce (`unstable`) and the score that decides membership (`cut`: the threshold, or the
/// last score of a list full at its top-k). Argus and the reference are both float32 runs in different
/// summation orders, each off the exact answer by about that noise, so:
///   - tolerances are `multiple` times the measured noise (with a floor for a noise that happened to be ~0);
///   - an item is borderline when the reference itself flips it (`unstable`), or puts it within twice its
///     noise of a decision: its score near the cut, its NMS decision (a suppressed neighbour's score, an IoU
///     near the threshold); borderline items may be missing, are reported, and their number is bounded;
///   - every other reference item must be matched: same class, score and every box corner within tolerance.
struct ReferenceNoise {
    /// Tolerances = this multiple of the measured float32-vs-float64 difference.
    static let multiple = 10.0
    /// Floors: a float32 score is good to ~1e-7 relative; a corner of a box in an 800 px image to ~1e-4 px.
    static let scoreFloor = 1e-5, cornerFloor = 0.01

    let score: Double
    let box: Double
    let unstable: Set<Int>
    let cut: Double?
    /// What the reference's NMS decided per item (reference_noise.nms_margins), when recorded: the score lead
    /// over a suppressed same-class neighbour, the closest |IoU - threshold| to a higher-scored one, and the
    /// suppressed candidates [score, |IoU - threshold|, w, h] that reappear if that IoU drops.
    let nmsGap: [Double?], nmsIoU: [Double?], suppressed: [[Double]]

    /// The `noise` record of tools/reference_noise.py's `detection_noise` (with `nms` when recorded).
    init(_ json: Any?, _ what: String) throws {
        let j = try XCTUnwrap(json as? [String: Any], "\(what): the fixture has no float32 noise record (regenerate it)")
        score = try XCTUnwrap(j["score"] as? Double)
        box = try XCTUnwrap(j["box"] as? Double)
        unstable = Set(try XCTUnwrap(j["unstable"] as? [Int]))
        cut = j["cut"] as? Double
        let nms = j["nms"] as? [String: Any]
        nmsGap = (nms?["gap"] as? [Any])?.map { $0 as? Double } ?? []
        nmsIoU = (nms?["iou"] as? [Any])?.map { $0 as? Double } ?? []
        suppressed = (nms?["suppressed"] as? [[Double]]) ?? []
    }

    var scoreTolerance: Double { max(Self.multiple * score, Self.scoreFloor) }
    var cornerTolerance: Double { max(Self.multiple * box, Self.cornerFloor) }

    /// Items within this multiple of the noise of a decision are borderline ("within the reference's own
    /// noise"). Measured: Argus differs from the float32 reference by well under the float32-vs-float64
    /// noise (float32 rounding of the elementwise ops is shared), so twice the noise is a safe band.
    static let borderMultiple = 2.0
    var scoreBand: Double { max(Self.borderMultiple * score, 1e-6) }
    var cornerBand: Double { max(Self.borderMultiple * box, 1e-3) }

    /// How far an IoU of a w x h box can move when every corner moves by `corner`: each side's relative
    /// change is at most 2 * corner / side, and IoU moves by at most the sum over both axes.
    static func iouBand(corner: Double, width w: Double, height h: Double) -> Double {
        2 * corner * (1 / max(w, 1e-6) + 1 / max(h, 1e-6))
    }

    /// Reference item `i` (score `s`, box `b`) is borderline: flipped by the reference's own rounding, within
    /// the score tolerance of the cut, or kept by its NMS within the noise (a suppressed neighbour's score
    /// within the score tolerance, or an IoU with a higher-scored neighbour within the IoU tolerance of the
    /// threshold).
    func isBorderline(_ i: Int, score s: Double, box b: Box) -> Bool {
        if unstable.contains(i) || (cut.map { s - $0 <= scoreBand } ?? false) { return true }
        if i < nmsGap.count, let gap = nmsGap[i], gap <= scoreBand { return true }
        if i < nmsIoU.count, let margin = nmsIoU[i],
           margin <= Self.iouBand(corner: cornerBand, width: Double(b.x2 - b.x1), height: Double(b.y2 - b.y1)) { return true }
        return false
    }

    /// Suppressed reference candidates that the noise could bring back (each may appear among ours unpaired).
    var reappearing: Int {
        suppressed.filter { $0[1] <= Self.iouBand(corner: cornerBand, width: $0[2], height: $0[3]) }.count
    }
}

/// One detection on either side of a comparison.
struct ReferenceItem {
    var box: Box
    var score: Double
    var label: Int

    init(box: Box, score: Double, label: Int) { self.box = box; self.score = score; self.label = label }
    init(_ d: Detection) { self.init(box: d.box, score: Double(d.score), label: d.classId) }

    /// Items from a fixture's {boxes, scores, labels}; `labels` absent means one class.
    static func list(_ json: Any?, _ what: String) throws -> [ReferenceItem] {
        let j = try XCTUnwrap(json as? [String: Any], "\(what): no detections")
        let boxes = try XCTUnwrap(j["boxes"] as? [[Double]]), scores = try XCTUnwrap(j["scores"] as? [Double])
        let labels = (j["labels"] as? [Int]) ?? Array(repeating: 0, count: scores.count)
        return zip(boxes, zip(scores, labels)).map { b, sl in
            ReferenceItem(box: Box(x1: Float(b[0]), y1: Float(b[1]), x2: Float(b[2]), y2: Float(b[3])), score: sl.0, label: sl.1)
        }
    }
}

struct ReferenceMatch {
    /// Reference index -> our index.
    var pairs: [Int: Int] = [:]
    var borderline: [Int] = []
    var worstScore = 0.0, worstCorner = 0.0

    static func corner(_ a: Box, _ b: Box) -> Double {
        Double(max(abs(a.x1 - b.x1), abs(a.y1 - b.y1), abs(a.x2 - b.x2), abs(a.y2 - b.y2)))
    }

    /// Pairs `reference` with `mine` and asserts the acceptance rule above. `borderlineBound` caps the
    /// fraction of reference items that may be borderline (a fixture whose items mostly sit on a decision
    /// tests nothing). `searchWindow`: how far past a reference item's rank ours may sit (ties and
    /// near-ties reorder neighbours); nil searches everything. A family with more to say passes per-item
    /// `tolerance`s (default: the noise's), items it found borderline by its own decisions (`alsoBorderline`)
    /// and candidates those decisions could add among ours (`extraAllowance`).
    @discardableResult
    static func check(_ mine: [ReferenceItem], against reference: [ReferenceItem], noise: ReferenceNoise,
                      borderlineBound: Double, exactCount: Bool = true, searchWindow: Int? = nil,
                      tolerance: ((Int) -> (score: Double, corner: Double))? = nil, alsoBorderline: Set<Int> = [],
                      extraAllowance: Int = 0, _ what: String,
                      file: StaticString = #filePath, line: UInt = #line) -> ReferenceMatch {
        var m = ReferenceMatch()
        let tol = tolerance ?? { _ in (noise.scoreTolerance, noise.cornerTolerance) }
        var border = reference.indices.filter {
            alsoBorderline.contains($0) || noise.isBorderline($0, score: reference[$0].score, box: reference[$0].box)
        }
        m.borderline = border
        let borderSet = Set(border)
        var used = Set<Int>()
        var missing: [String] = []
        var missingIndices: [Int] = []
        var worstRatio = 0.0
        // Clear items first, so a borderline neighbour never takes their partner.
        for i in reference.indices.filter({ !borderSet.contains($0) }) + border {
            let r = reference[i], t = tol(i)
            let window = searchWindow.map { mine.indices.prefix(i + $0 + 1) } ?? mine.indices[...]
            let j = window.filter { !used.contains($0) && mine[$0].label == r.label && abs(mine[$0].score - r.score) <= t.score }
                .min { corner(mine[$0].box, r.box) < corner(mine[$1].box, r.box) }
            if let j, corner(mine[j].box, r.box) <= t.corner {
                used.insert(j); m.pairs[i] = j
                let ds = abs(mine[j].score - r.score), dc = corner(mine[j].box, r.box)
                m.worstScore = max(m.worstScore, ds)
                m.worstCorner = max(m.worstCorner, dc)
                worstRatio = max(worstRatio, ds / t.score, dc / t.corner)
            } else if !borderSet.contains(i) {
                let near = mine.indices.filter { mine[$0].label == r.label }.min { corner(mine[$0].box, r.box) < corner(mine[$1].box, r.box) }
                missingIndices.append(i)
                missing.append("#\(i) \(r.box) score \(r.score) class \(r.label) (tolerances \(t)); closest of ours: "
                               + (near.map { "#\($0) \(mine[$0].box) score \(mine[$0].score)" } ?? "none"))
            }
        }
        // A list full at its top-k: each of our unpaired items that ranks above a missing reference item took its
        // place (a whole list compared as a set loses its last item when one more appears above it). Those last
        // items count as borderline: reported, and within the same bound.
        if let cut = noise.cut, let last = reference.last, last.score - cut <= noise.scoreBand, !missing.isEmpty {
            var displaced: [Int] = []
            for i in missingIndices.sorted().reversed() {
                let above = mine.indices.filter { !used.contains($0) && mine[$0].score > reference[i].score }.count
                if reference.count - i <= above { displaced.append(i) }
            }
            if !displaced.isEmpty {
                print("\(what): \(displaced.count) reference items at the top-k cut displaced by unpaired items of ours ranked above them: \(displaced)")
                missing = zip(missingIndices, missing).filter { !displaced.contains($0.0) }.map(\.1)
                m.borderline += displaced
                border += displaced
            }
        }
        let unmatchedBorder = border.filter { m.pairs[$0] == nil }
        print("\(what): \(m.pairs.count)/\(reference.count) matched (score tol \(noise.scoreTolerance), corner tol "
              + "\(noise.cornerTolerance) px\(tolerance == nil ? "" : ", per item at least that")), \(border.count) borderline "
              + "(\(unmatchedBorder.count) of them unmatched), worst score diff \(m.worstScore), worst corner diff "
              + "\(m.worstCorner), worst \(worstRatio) of its tolerance")
        XCTAssert(missing.isEmpty, "\(what): \(missing.count) clear reference items unmatched: \(missing.prefix(5))",
                  file: file, line: line)
        XCTAssertLessThanOrEqual(Double(border.count), borderlineBound * Double(max(reference.count, 1)),
                                 "\(what): \(border.count) of \(reference.count) reference items are borderline", file: file, line: line)
        if exactCount {
            // Ours past the cut's noise, unpaired: the mirror image of a borderline reference item.
            let extraAtCut = mine.indices.filter { j in
                !used.contains(j) && (noise.cut.map { mine[j].score - $0 <= noise.scoreBand } ?? false)
            }.count
            XCTAssertLessThanOrEqual(abs(mine.count - reference.count),
                                     border.count + extraAtCut + noise.reappearing + extraAllowance,
                                     "\(what): \(mine.count) items vs the reference's \(reference.count)", file: file, line: line)
        }
        return m
    }
}
