import ArgusMask
import Foundation

/// Per-cell matching results, as `COCOeval.evaluateImg` produces them, stored flat.
struct CellResults {
    /// Cut detections per cell: `dtStart[c]..<dtStart[c+1]` into `scores`.
    var dtStart: [Int]
    /// Detection scores per cell in descending (stable) order, cut to the largest maxDets.
    var scores: [Double]
    /// Per cell, per area range, per IoU threshold, per detection: bit 0 = matched to a GT with a nonzero id, bit 1 = ignored.
    var flags: [UInt8]
    /// Non-ignored GT count per cell and area range.
    var npig: [Int32]
}

enum CellFlag {
    static let matched: UInt8 = 1
    static let ignored: UInt8 = 2
}

extension PreparedEval {
    /// Runs the matching of every cell, in parallel chunks.
    func evaluateCells(threads: Int) -> CellResults {
        let n = cellCount
        let maxDet = params.maxDetections.last ?? 0
        let A = params.areaRanges.count, T = params.iouThresholds.count
        var dtStart = [Int](repeating: 0, count: n + 1)
        for c in 0..<n { dtStart[c + 1] = dtStart[c] + min(cellDtStart[c + 1] - cellDtStart[c], max(maxDet, 0)) }
        var res = CellResults(dtStart: dtStart,
                              scores: [Double](repeating: 0, count: dtStart[n]),
                              flags: [UInt8](repeating: 0, count: dtStart[n] * A * T),
                              npig: [Int32](repeating: 0, count: n * A))
        res.scores.withUnsafeMutableBufferPointer { sc in
            res.flags.withUnsafeMutableBufferPointer { fl in
                res.npig.withUnsafeMutableBufferPointer { np in
                    let out = CellOutput(scores: sc, flags: fl, npig: np)
                    parallelChunks(count: n, threads: threads) { range in
                        var scratch = MatchScratch()
                        for c in range { evaluateCell(c, dtStart: dtStart, out: out, scratch: &scratch) }
                    }
                }
            }
        }
        return res
    }

    /// `evaluateImg` for every area range of one cell.
    private func evaluateCell(_ c: Int, dtStart: [Int], out: CellOutput, scratch s: inout MatchScratch) {
        let A = params.areaRanges.count, T = params.iouThresholds.count
        let g0 = cellGtStart[c], G = cellGtStart[c + 1] - g0
        let d0 = cellDtStart[c], nd = cellDtStart[c + 1] - d0
        // Detections: stable sort by descending score, then cut. Ties keep the cell's order (the position q),
        // not the results-list order: with useCats=0 a cell pools its detections category by category in
        // catIds order, and np.argsort(kind='mergesort') keeps that pooled order for equal scores.
        s.dets.removeAll(keepingCapacity: true)
        for q in 0..<nd { s.dets.append(Int32(q)) }
        if nd > 1 {
            let sc = dtScore, cd = cellDt
            s.dets.sort { a, b in
                let sa = sc[Int(cd[d0 + Int(a)])], sb = sc[Int(cd[d0 + Int(b)])]
                return sa > sb || (sa == sb && a < b)
            }
        }
        for j in 0..<nd { s.dets[j] = cellDt[d0 + Int(s.dets[j])] }
        let D = dtStart[c + 1] - dtStart[c]
        for j in 0..<D { out.scores[dtStart[c] + j] = dtScore[Int(s.dets[j])] }
        // IoU matrix [d][g] in the GTs' list order.
        s.ious.removeAll(keepingCapacity: true)
        if D > 0 && G > 0 {
            for j in 0..<D {
                let d = Int(s.dets[j])
                for g in 0..<G {
                    let gi = Int(cellGt[g0 + g])
                    s.ious.append(iou(dt: d, gt: gi, crowd: gtCrowd[gi]))
                }
            }
        }
        let flagBase = dtStart[c] * A * T
        for (a, rng) in params.areaRanges.enumerated() {
            // GT order: not ignored first, stable.
            s.gtOrder.removeAll(keepingCapacity: true)
            s.gtIgnore.removeAll(keepingCapacity: true)
            var npig = 0
            for g in 0..<G {
                let gi = Int(cellGt[g0 + g])
                if !(gtCrowd[gi] || rng.excludes(gtArea[gi])) { s.gtOrder.append(g); npig += 1 }
            }
            for g in 0..<G {
                let gi = Int(cellGt[g0 + g])
                if gtCrowd[gi] || rng.excludes(gtArea[gi]) { s.gtOrder.append(g) }
            }
            for q in 0..<G { s.gtIgnore.append(q >= npig) }
            out.npig[c * A + a] = Int32(npig)
            for (t, thr) in params.iouThresholds.enumerated() {
                let base = flagBase + (a * T + t) * D
                s.gtMatched.removeAll(keepingCapacity: true)
                s.gtMatched.append(contentsOf: repeatElement(false, count: G))
                for j in 0..<D {
                    var best = min(thr, 1 - 1e-10)
                    var m = -1
                    if G > 0 {
                        for q in 0..<G {
                            let g = s.gtOrder[q]
                            let gi = Int(cellGt[g0 + g])
                            if s.gtMatched[q] && !gtCrowd[gi] { continue }
                            if m > -1 && !s.gtIgnore[m] && s.gtIgnore[q] { break }
                            let v = s.ious[j * G + g]
                            if v < best { continue }
                            best = v
                            m = q
                        }
                    }
                    var f: UInt8 = 0
                    if m > -1 {
                        let gi = Int(cellGt[g0 + s.gtOrder[m]])
                        s.gtMatched[m] = true
                        if s.gtIgnore[m] { f |= CellFlag.ignored }
                        // A match is recorded as the GT id; id 0 reads as "unmatched" later (pycocotools quirk).
                        if gtId[gi] != 0 { f |= CellFlag.matched }
                    }
                    if f & CellFlag.matched == 0 && rng.excludes(dtArea[Int(s.dets[j])]) { f |= CellFlag.ignored }
                    out.flags[base + j] = f
                }
            }
        }
    }

    /// IoU of detection `d` with GT `g` (indices into the prepared arrays).
    @inline(__always)
    private func iou(dt d: Int, gt g: Int, crowd: Bool) -> Double {
        switch iouType {
        case .bbox: return boxIoU(dtRegions.boxes[d], gtRegions.boxes[g], crowd: crowd)
        case .segm:
            return RLE.iou(dt: dtRegions.masks[d], dtBox: dtRegions.maskBoxes[d],
                           gt: gtRegions.masks[g], gtBox: gtRegions.maskBoxes[g], crowd: crowd)
        }
    }
}

/// Output buffers shared by the worker threads; each cell writes only its own slots.
struct CellOutput: @unchecked Sendable {
    let scores: UnsafeMutableBufferPointer<Double>
    let flags: UnsafeMutableBufferPointer<UInt8>
    let npig: UnsafeMutableBufferPointer<Int32>
}

/// Per-thread reusable buffers for matching.
struct MatchScratch {
    var dets: [Int32] = []
    var ious: [Double] = []
    var gtOrder: [Int] = []
    var gtIgnore: [Bool] = []
    var gtMatched: [Bool] = []
}

/// Splits `0..<count` into contiguous chunks and runs them on up to `threads` threads.
func parallelChunks(count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let workers = max(1, min(threads, count))
    if workers == 1 { body(0..<count); return }
    let chunks = min(count, workers * 16)
    DispatchQueue.concurrentPerform(iterations: chunks) { k in
        let lo = count * k / chunks, hi = count * (k + 1) / chunks
        if lo < hi { body(lo..<hi) }
    }
}
