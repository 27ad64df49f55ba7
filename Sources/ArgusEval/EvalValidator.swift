import ArgusMask

/// Errors and warnings about evaluation input, each saying what to fix.
public struct EvalValidationReport: Sendable {
    public var errors: [EvalIssue] = []
    public var warnings: [EvalIssue] = []
    /// True when there is no error.
    public var isValid: Bool { errors.isEmpty }
}

/// Up-front checks of ground truth, results and params, before any evaluation work.
public enum EvalValidator {
    /// Checks ids, regions, scores, result kinds, limits and params.
    public static func validate(gt: COCODataset, dt: [COCOResult], iouType: IoUType, params: EvalParams = EvalParams(),
                                policy: ValidationPolicy = .strict, limits: EvalLimits = EvalLimits()) -> EvalValidationReport {
        var r = EvalValidationReport()
        func err(_ code: String, _ msg: String) { r.errors.append(EvalIssue(code: code, message: msg)) }
        func warn(_ code: String, _ msg: String) { r.warnings.append(EvalIssue(code: code, message: msg)) }
        func lenient(_ code: String, _ msg: String) { policy == .strict ? err(code, msg) : warn(code, msg) }

        // Limits first: nothing else is looked at when the input is too large.
        let counts: [(Int, Int, String)] = [
            (gt.images.count, limits.maxImages, "GT images"), (gt.categories.count, limits.maxCategories, "GT categories"),
            (gt.annotations.count, limits.maxAnnotations, "GT annotations"), (dt.count, limits.maxResults, "detections"),
        ]
        for (n, lim, what) in counts where n > lim {
            err("limit_exceeded", "\(n) \(what) exceed the limit of \(lim); split the evaluation or raise the limit")
        }
        if !r.errors.isEmpty { return r }
        r.errors += checkParams(params, limits: limits,
                                categories: Set(params.categoryIds ?? gt.categories.map(\.id)).count)

        // GT structure.
        var imageSize = [Int: (Int, Int)](minimumCapacity: gt.images.count)
        var dupImages = 0
        for im in gt.images {
            if imageSize[im.id] != nil { dupImages += 1 }
            imageSize[im.id] = (im.height, im.width)
        }
        if dupImages > 0 { warn("duplicate_image_id", "\(dupImages) GT images repeat an id; the last entry's size is used") }
        if gt.images.isEmpty { err("empty_ground_truth", "the ground truth has no images") }
        let gtCats = Set(gt.categories.map(\.id))
        if gt.categories.isEmpty && params.categoryIds == nil { err("empty_ground_truth", "the ground truth has no categories") }
        let evalCats = params.categoryIds.map(Set.init) ?? gtCats
        var seenAnn = Set<Int>(minimumCapacity: gt.annotations.count)
        var dupAnn = [Int](), annNoImage = 0, annNoCat = 0, noArea = 0
        var badGT = [String](), missingRegion = 0
        for (j, a) in gt.annotations.enumerated() {
            if !seenAnn.insert(a.id).inserted { dupAnn.append(a.id) }
            guard let (h, w) = imageSize[a.imageId] else { annNoImage += 1; continue }
            if !evalCats.contains(a.categoryId) && !gtCats.contains(a.categoryId) { annNoCat += 1 }
            if let area = a.area { if !area.isFinite { badGT.append("gt.annotations[\(j)] (id \(a.id)): area is \(area)") } } else { noArea += 1 }
            switch iouType {
            case .bbox:
                guard let b = a.bbox else { missingRegion += 1; continue }
                if let m = boxProblem(b) { badGT.append("gt.annotations[\(j)] (id \(a.id)): bbox \(m)") }
            case .segm:
                guard let s = a.segmentation else { missingRegion += 1; continue }
                switch s {
                case .rle(let m):
                    if m.height != h || m.width != w {
                        badGT.append("gt.annotations[\(j)] (id \(a.id)): RLE size [\(m.height), \(m.width)] differs from image \(a.imageId)'s [\(h), \(w)]")
                    }
                case .polygons(let polys):
                    let (pixels, overflow) = h.multipliedReportingOverflow(by: w)
                    if h < 1 || w < 1 || overflow || pixels > limits.maxImagePixels {
                        badGT.append("gt.annotations[\(j)] (id \(a.id)): image \(a.imageId) has size \(w)x\(h), which cannot be rasterised (1 to \(limits.maxImagePixels) pixels)")
                    } else if let p = polygonProblem(polys) {
                        badGT.append("gt.annotations[\(j)] (id \(a.id)): \(p)")
                    }
                }
            }
        }
        if !dupAnn.isEmpty {
            err("duplicate_annotation_id", "\(dupAnn.count) GT annotations repeat an id (e.g. \(examples(dupAnn))); pycocotools would silently evaluate one of them twice. Give every annotation a unique id")
        }
        if missingRegion > 0 {
            err("missing_gt_region", "\(missingRegion) GT annotations have no \(iouType == .bbox ? "\"bbox\"" : "\"segmentation\""), which \(iouType.rawValue) evaluation needs")
        }
        if !badGT.isEmpty { err("malformed_gt", "\(badGT.count) GT annotations are malformed: " + badGT.prefix(5).joined(separator: "; ")) }
        if annNoImage > 0 { warn("gt_unknown_image", "\(annNoImage) GT annotations refer to images not in \"images\"; they are ignored") }
        if annNoCat > 0 { warn("gt_unknown_category", "\(annNoCat) GT annotations have a category not in \"categories\"; they are ignored") }
        if noArea > 0 {
            warn("gt_missing_area", "\(noArea) GT annotations have no \"area\"; the \(iouType == .bbox ? "box's w*h" : "mask's pixel count") is used for the area ranges (pycocotools would fail)")
        }
        if let ids = params.imageIds {
            let unknown = Set(ids).filter { imageSize[$0] == nil }
            if !unknown.isEmpty { warn("unknown_param_image", "\(unknown.count) params.imgIds are not GT images (e.g. \(examples(Array(unknown)))); they hold nothing") }
        }

        // Results.
        if dt.isEmpty {
            lenient("empty_results", "the results list is empty; every AP is 0 where GT exists. Check that the detector produced output and that the file is the results list")
            return r
        }
        let withBox = dt.reduce(0) { $0 + ($1.bbox != nil ? 1 : 0) }
        let withSeg = dt.reduce(0) { $0 + ($1.segmentation != nil ? 1 : 0) }
        if withBox != 0 && withBox != dt.count {
            err("mixed_results", "\(withBox) of \(dt.count) results have \"bbox\" and the others do not; results must all carry a bbox or none (pycocotools takes areas from the first result's kind)")
        }
        if withSeg != 0 && withSeg != dt.count {
            err("mixed_results", "\(withSeg) of \(dt.count) results have \"segmentation\" and the others do not; bbox and segm results are mixed. Evaluate them as separate files")
        }
        if withBox == 0 && withSeg == 0 { err("empty_regions", "no result has \"bbox\" or \"segmentation\"") }
        if iouType == .segm && withSeg == 0 && withBox == dt.count {
            lenient("bbox_results_for_segm", "segm evaluation of results with only boxes: each box would be rasterised as a rectangle mask. Use --iou-type bbox, or results with \"segmentation\"")
        }
        var unknownImg = [Int](), unknownImgCount = 0
        var unknownCat = [Int: Int]()
        var badDt = [String]()
        var perImage = [Int: Int]()
        var catsWithDt = Set<Int>()
        for (j, d) in dt.enumerated() {
            guard let (h, w) = imageSize[d.imageId] else {
                unknownImgCount += 1
                if unknownImg.count < 5 && !unknownImg.contains(d.imageId) { unknownImg.append(d.imageId) }
                continue
            }
            if !d.score.isFinite { badDt.append("results[\(j)]: score is \(d.score)") }
            if let b = d.bbox, let m = boxProblem(b) { badDt.append("results[\(j)]: bbox \(m)") }
            if let s = d.segmentation {
                switch s {
                case .rle(let m):
                    if m.height != h || m.width != w {
                        badDt.append("results[\(j)]: segmentation size [\(m.height), \(m.width)] differs from image \(d.imageId)'s [\(h), \(w)]")
                    }
                case .polygons(let polys):
                    if let p = polygonProblem(polys) { badDt.append("results[\(j)]: \(p)") }
                }
            }
            if evalCats.contains(d.categoryId) {
                perImage[d.imageId, default: 0] += 1
                catsWithDt.insert(d.categoryId)
            } else if !gtCats.contains(d.categoryId) {
                unknownCat[d.categoryId, default: 0] += 1
            }
        }
        if unknownImgCount > 0 {
            err("unknown_image_id", "\(unknownImgCount) results refer to image ids that are not in the ground truth (e.g. \(unknownImg.map(String.init).joined(separator: ", "))). Use the \"id\" of the GT \"images\" entries, not file names or list positions")
        }
        if !badDt.isEmpty { err("malformed_result", "\(badDt.count) results are malformed: " + badDt.prefix(5).joined(separator: "; ")) }
        if !unknownCat.isEmpty {
            let n = unknownCat.values.reduce(0, +)
            var msg = "\(n) results have category ids absent from the ground truth (\(examples(Array(unknownCat.keys))))"
            let sortedGT = gtCats.sorted()
            let resultCats = Set(unknownCat.keys).union(catsWithDt)
            if let minGT = sortedGT.first, minGT >= 1, resultCats.contains(0), resultCats.allSatisfy({ $0 >= 0 && $0 < sortedGT.count }) {
                let n = sortedGT.count
                msg += ". They look 0-based: map index i to the i-th GT category id in ascending order (0 → \(sortedGT[0])"
                msg += n > 1 ? ", 1 → \(sortedGT[1])\(n > 2 ? ", ..., \(n - 1) → \(sortedGT[n - 1])" : ""))" : ")"
                if n == 80 && sortedGT.last == 90 { msg += "; COCO's 80 classes have ids 1...90 with gaps" }
            } else {
                msg += "; pycocotools ignores such results"
            }
            lenient("unknown_category_id", msg)
        }

        // Warnings about silently lost or free detections.
        let maxDet = params.maxDetections.max() ?? 100
        let over = perImage.filter { $0.value > maxDet }
        if let worst = over.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }) {
            warn("max_dets_exceeded", "\(over.count) images have more than maxDets=\(maxDet) detections (most: \(worst.value) in image \(worst.key)); only the \(maxDet) highest-scoring per image count. Pass --max-dets 1,10,\(worst.value) to count them all")
        }
        if params.useCategories {
            var gtCounted = Set<Int>()
            for a in gt.annotations where imageSize[a.imageId] != nil { gtCounted.insert(a.categoryId) }
            let noGT = catsWithDt.subtracting(gtCounted)
            if !noGT.isEmpty {
                warn("category_without_gt", "\(noGT.count) categories have detections but no GT (\(examples(Array(noGT)))); their AP is -1 and they do not enter the means, so their false positives cost nothing")
            }
        }
        return r
    }

    /// Parameter checks that pycocotools needs for `summarize()`.
    static func checkParams(_ p: EvalParams, limits: EvalLimits = EvalLimits(), categories: Int) -> [EvalIssue] {
        var out = [EvalIssue]()
        func bad(_ m: String) { out.append(EvalIssue(code: "bad_params", message: m)) }
        if p.maxDetections.count < 3 { bad("maxDets needs at least 3 values (stats use maxDets[0], [1], [2]); got \(p.maxDetections)") }
        if p.maxDetections.contains(where: { $0 < 0 }) { bad("maxDets must not be negative") }
        if p.iouThresholds.isEmpty || p.iouThresholds.contains(where: { !$0.isFinite }) { bad("iouThrs must be a non-empty list of finite numbers") }
        if p.recallThresholds.isEmpty || p.recallThresholds.contains(where: { !$0.isFinite }) { bad("recThrs must be a non-empty list of finite numbers") }
        if p.areaRanges.isEmpty { bad("areaRng must hold at least one range (the first is 'all')") }
        if p.areaRanges.contains(where: { $0.lo.isNaN || $0.hi.isNaN }) { bad("areaRng bounds must be numbers") }
        if p.iouThresholds.count > limits.maxThresholds || p.recallThresholds.count > limits.maxThresholds {
            bad("iouThrs and recThrs may hold at most \(limits.maxThresholds) values each")
        }
        if p.maxDetections.count > limits.maxListParams || p.areaRanges.count > limits.maxListParams {
            bad("maxDets and areaRng may hold at most \(limits.maxListParams) entries each")
        }
        let k = p.useCategories ? categories : 1
        let entries = Double(p.iouThresholds.count) * Double(p.recallThresholds.count) * Double(k)
            * Double(p.areaRanges.count) * Double(p.maxDetections.count)
        if entries > Double(limits.maxCurveEntries) {
            bad("the precision array would hold \(Int(entries)) entries (IoU thresholds x recall thresholds x \(k) categories x area ranges x maxDets), over the limit of \(limits.maxCurveEntries); evaluate fewer categories at once (--cat-ids) or use fewer thresholds")
        }
        return out
    }

    private static func boxProblem(_ b: BoxXYWH) -> String? {
        if !(b.x.isFinite && b.y.isFinite && b.width.isFinite && b.height.isFinite) { return "\(b.array) has a non-finite number" }
        if b.width < 0 || b.height < 0 { return "\(b.array) has a negative width or height (COCO boxes are [x, y, width, height], not [x1, y1, x2, y2])" }
        return nil
    }

    private static func polygonProblem(_ polys: [[Double]]) -> String? {
        if polys.isEmpty { return "empty polygon list" }
        if polys[0].count == 4 { return "the first polygon has only 4 numbers; pycocotools would read the list as boxes" }
        for (i, p) in polys.enumerated() {
            if p.count < 2 { return "polygon \(i) has \(p.count) numbers; a polygon is a list of x,y pairs" }
            if p.contains(where: { !$0.isFinite || abs($0) > 1e8 }) { return "polygon \(i) has a non-finite or huge coordinate" }
        }
        return nil
    }

    private static func examples(_ ids: [Int]) -> String {
        let s = ids.sorted()
        return s.prefix(5).map(String.init).joined(separator: ", ") + (s.count > 5 ? ", ..." : "")
    }
}
