/// `COCOeval.eval`: precision `[T][R][K][A][M]` and recall `[T][K][A][M]`, -1 where there is no GT.
public struct PrecisionRecall: Sendable {
    public let T: Int, R: Int, K: Int, A: Int, M: Int
    /// Flat precision, index `(((t*R + r)*K + k)*A + a)*M + m`.
    public internal(set) var precision: [Double]
    /// Flat recall, index `((t*K + k)*A + a)*M + m`.
    public internal(set) var recall: [Double]

    /// Precision at IoU threshold `t`, recall threshold `r`, category `k`, area range `a`, maxDets `m`.
    public func precision(_ t: Int, _ r: Int, _ k: Int, _ a: Int, _ m: Int) -> Double {
        precision[(((t * R + r) * K + k) * A + a) * M + m]
    }

    /// Maximum recall at IoU threshold `t`, category `k`, area range `a`, maxDets `m`.
    public func recall(_ t: Int, _ k: Int, _ a: Int, _ m: Int) -> Double {
        recall[((t * K + k) * A + a) * M + m]
    }
}

extension PreparedEval {
    /// `COCOeval.accumulate()`, one category per task.
    func accumulate(_ cells: CellResults, threads: Int) -> PrecisionRecall {
        let T = params.iouThresholds.count, R = params.recallThresholds.count
        let K = categoryKeys.count, A = params.areaRanges.count, M = params.maxDetections.count
        var pr = PrecisionRecall(T: T, R: R, K: K, A: A, M: M,
                                 precision: [Double](repeating: -1, count: T * R * K * A * M),
                                 recall: [Double](repeating: -1, count: T * K * A * M))
        // Cells are sorted by (category, image): each category owns a contiguous run.
        let I = max(imageIds.count, 1)
        var catStart = [Int](repeating: 0, count: K + 1)
        for key in cellKey { catStart[key / I + 1] += 1 }
        for k in 0..<K { catStart[k + 1] += catStart[k] }
        pr.precision.withUnsafeMutableBufferPointer { pbuf in
            pr.recall.withUnsafeMutableBufferPointer { rbuf in
                let out = AccumOutput(precision: pbuf, recall: rbuf)
                parallelChunks(count: K, threads: threads) { range in
                    for k in range { accumulateCategory(k, catStart[k]..<catStart[k + 1], cells, out) }
                }
            }
        }
        return pr
    }

    private func accumulateCategory(_ k: Int, _ cellsOfK: Range<Int>, _ cells: CellResults, _ out: AccumOutput) {
        let T = params.iouThresholds.count, R = params.recallThresholds.count
        let K = categoryKeys.count, A = params.areaRanges.count, M = params.maxDetections.count
        if cellsOfK.isEmpty { return }
        let recThrs = params.recallThresholds
        var entries = [Entry]()
        var rc = [Double](), prc = [Double]()
        for (m, maxDet) in params.maxDetections.enumerated() {
            // Images in ascending id order, each cut to maxDet, then a stable sort by descending score.
            entries.removeAll(keepingCapacity: true)
            for c in cellsOfK {
                let s = cells.dtStart[c], D = cells.dtStart[c + 1] - s
                for j in 0..<min(max(maxDet, 0), D) {
                    entries.append(Entry(score: cells.scores[s + j], order: Int32(entries.count), cell: Int32(c), j: Int32(j)))
                }
            }
            entries.sort { $0.score > $1.score || ($0.score == $1.score && $0.order < $1.order) }
            let nd = entries.count
            for a in 0..<A {
                var npig = 0
                for c in cellsOfK { npig += Int(cells.npig[c * A + a]) }
                if npig == 0 { continue }
                for t in 0..<T {
                    rc.removeAll(keepingCapacity: true)
                    prc.removeAll(keepingCapacity: true)
                    var tp = 0.0, fp = 0.0
                    for e in entries {
                        let c = Int(e.cell)
                        let D = cells.dtStart[c + 1] - cells.dtStart[c]
                        let f = cells.flags[cells.dtStart[c] * A * T + (a * T + t) * D + Int(e.j)]
                        if f & CellFlag.ignored == 0 {
                            if f & CellFlag.matched != 0 { tp += 1 } else { fp += 1 }
                        }
                        rc.append(tp / Double(npig))
                        prc.append(tp / (fp + tp + 2.220446049250313e-16))
                    }
                    out.recall[((t * K + k) * A + a) * M + m] = nd > 0 ? rc[nd - 1] : 0
                    // Precision envelope, non-increasing from the right.
                    if nd > 1 {
                        for i in stride(from: nd - 1, to: 0, by: -1) where prc[i] > prc[i - 1] { prc[i - 1] = prc[i] }
                    }
                    // searchsorted(rc, recThrs, 'left'); pycocotools stops filling at the first threshold out of reach.
                    for (r, thr) in recThrs.enumerated() {
                        var lo = 0, hi = nd
                        while lo < hi { let mid = (lo + hi) >> 1; if rc[mid] < thr { lo = mid + 1 } else { hi = mid } }
                        let idx = (((t * R + r) * K + k) * A + a) * M + m
                        if lo >= nd {
                            for r2 in r..<R { out.precision[(((t * R + r2) * K + k) * A + a) * M + m] = 0 }
                            break
                        }
                        out.precision[idx] = prc[lo]
                    }
                }
            }
        }
    }
}

private struct Entry {
    var score: Double
    var order: Int32
    var cell: Int32
    var j: Int32
}

struct AccumOutput: @unchecked Sendable {
    let precision: UnsafeMutableBufferPointer<Double>
    let recall: UnsafeMutableBufferPointer<Double>
}
