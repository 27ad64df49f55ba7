import ArgusMask

/// PASCAL VOC AP@0.5 per category, all-point (VOC2010+) and 11-point (VOC2007).
public struct VOCResult: Sendable, Equatable {
    /// All-point AP per category id; -1 for a category without non-crowd GT.
    public let ap50AllPoint: [Int: Double]
    /// 11-point AP per category id; -1 for a category without non-crowd GT.
    public let ap50ElevenPoint: [Int: Double]
    /// Mean of the all-point APs that are not -1, or -1.
    public let map50AllPoint: Double
    /// Mean of the 11-point APs that are not -1, or -1.
    public let map50ElevenPoint: Double
}

/// The classic devkit `voc_eval` with continuous coordinates (no +1), `iscrowd` as `difficult`, and a stable
/// score sort. Uses all images, all GT categories and all detections (no maxDets cut), always per category.
public enum VOCEvaluator {
    /// Evaluates at IoU > 0.5 with box IoU (`bbox`) or mask IoU (`segm`).
    public static func evaluate(gt: COCODataset, dt: [COCOResult], iouType: IoUType) throws -> VOCResult {
        evaluate(gt: gt, dt: dt, regions: try SharedRegions(gt: gt, dt: dt, iouType: iouType))
    }

    /// As `evaluate(gt:dt:iouType:)`, reusing regions already built.
    public static func evaluate(gt: COCODataset, dt: [COCOResult], regions: SharedRegions) -> VOCResult {
        let cats = Array(Set(gt.categories.map(\.id))).sorted()
        var catIndex = [Int: Int]()
        for (k, c) in cats.enumerated() { catIndex[c] = k }
        // GT per (category, image) in annotation order; detections per category in list order.
        var gtByKey = [Int: [Int: [Int]]]()
        var npos = [Int](repeating: 0, count: cats.count)
        for (j, a) in gt.annotations.enumerated() where regions.gtUsable[j] {
            guard let k = catIndex[a.categoryId] else { continue }
            gtByKey[k, default: [:]][a.imageId, default: []].append(j)
            if !a.iscrowd { npos[k] += 1 }
        }
        var dtByCat = [[Int]](repeating: [], count: cats.count)
        for (j, d) in dt.enumerated() { if let k = catIndex[d.categoryId] { dtByCat[k].append(j) } }

        var all = [Int: Double](), eleven = [Int: Double]()
        for (k, cat) in cats.enumerated() {
            guard npos[k] > 0 else { all[cat] = -1; eleven[cat] = -1; continue }
            let order = dtByCat[k].sorted { dt[$0].score > dt[$1].score || (dt[$0].score == dt[$1].score && $0 < $1) }
            var detected = [Int: Bool]()
            var tp = [Double](), fp = [Double]()
            tp.reserveCapacity(order.count); fp.reserveCapacity(order.count)
            let perImage = gtByKey[k] ?? [:]
            for d in order {
                let gts = perImage[dt[d].imageId] ?? []
                var ovmax = -Double.infinity
                var jmax = -1
                for g in gts {
                    let o = iou(regions, dt: d, gt: g)
                    if o > ovmax { ovmax = o; jmax = g }
                }
                var isTP = 0.0, isFP = 0.0
                if jmax >= 0 && ovmax > 0.5 {
                    if !gt.annotations[jmax].iscrowd {
                        if detected[jmax] != true { isTP = 1; detected[jmax] = true } else { isFP = 1 }
                    }
                } else {
                    isFP = 1
                }
                tp.append(isTP); fp.append(isFP)
            }
            // cumsum, then rec = tp/npos, prec = tp / max(tp+fp, eps).
            var ctp = 0.0, cfp = 0.0
            var rec = [Double](), prec = [Double]()
            for i in 0..<tp.count {
                ctp += tp[i]; cfp += fp[i]
                rec.append(ctp / Double(npos[k]))
                prec.append(ctp / max(ctp + cfp, Double.ulpOfOne))
            }
            all[cat] = allPointAP(rec, prec)
            eleven[cat] = elevenPointAP(rec, prec)
        }
        func meanValid(_ m: [Int: Double]) -> Double {
            let v = cats.compactMap { m[$0] }.filter { $0 != -1 }
            return v.isEmpty ? -1 : numpyMean(v)
        }
        return VOCResult(ap50AllPoint: all, ap50ElevenPoint: eleven,
                         map50AllPoint: meanValid(all), map50ElevenPoint: meanValid(eleven))
    }

    /// Plain IoU (no intersection-over-detection for crowds).
    private static func iou(_ r: SharedRegions, dt d: Int, gt g: Int) -> Double {
        switch r.iouType {
        case .bbox: return boxIoU(r.dtRegions.boxes[d], r.gtRegions.boxes[g], crowd: false)
        case .segm:
            return RLE.iou(dt: r.dtRegions.masks[d], dtBox: r.dtRegions.maskBoxes[d],
                           gt: r.gtRegions.masks[g], gtBox: r.gtRegions.maskBoxes[g], crowd: false)
        }
    }

    /// VOC2010+ area under the interpolated precision envelope.
    static func allPointAP(_ rec: [Double], _ prec: [Double]) -> Double {
        let mrec = [0.0] + rec + [1.0]
        var mpre = [0.0] + prec + [0.0]
        for i in stride(from: mpre.count - 1, to: 0, by: -1) { mpre[i - 1] = max(mpre[i - 1], mpre[i]) }
        var terms = [Double]()
        for i in 0..<(mrec.count - 1) where mrec[i + 1] != mrec[i] { terms.append((mrec[i + 1] - mrec[i]) * mpre[i + 1]) }
        return terms.withUnsafeBufferPointer { numpySum($0) }
    }

    /// VOC2007: mean over t = i*0.1 (i = 0...10) of the best precision at recall ≥ t.
    static func elevenPointAP(_ rec: [Double], _ prec: [Double]) -> Double {
        var ap = 0.0
        for i in 0...10 {
            let t = Double(i) * 0.1
            var p = 0.0
            var any = false
            for j in 0..<rec.count where rec[j] >= t { p = any ? max(p, prec[j]) : prec[j]; any = true }
            ap = ap + p / 11.0
        }
        return ap
    }
}
