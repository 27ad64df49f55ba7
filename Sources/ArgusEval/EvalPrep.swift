import ArgusMask

/// The regions one evaluation compares: boxes, or masks with their tight boxes for the IoU prefilter.
struct Regions {
    var boxes: [BoxXYWH] = []
    var masks: [RLE] = []
    var maskBoxes: [BoxXYWH] = []
}

/// Ground truth and detections flattened for evaluation: index-addressed arrays and per-cell lists.
/// A cell is one (category, image) pair, or one image when `useCats=0`.
struct PreparedEval {
    let iouType: IoUType
    let params: EvalParams
    /// Evaluated image ids, ascending.
    let imageIds: [Int]
    /// Evaluated category ids (sorted unique); `[-1]` when `useCats=0`.
    let categoryKeys: [Int]
    /// Per-GT fields (indices into the GT annotation list used).
    let gtId: [Int]
    let gtArea: [Double]
    let gtCrowd: [Bool]
    let gtRegions: Regions
    /// Per-detection fields; `dtScore` and `dtArea` as `COCO.loadRes` sets them.
    let dtScore: [Double]
    let dtArea: [Double]
    let dtRegions: Regions
    /// CSR lists per cell (`cellCount = categoryKeys.count * imageIds.count`), in pycocotools' order.
    let cellGtStart: [Int]
    let cellGt: [Int32]
    let cellDtStart: [Int]
    let cellDt: [Int32]

    var cellCount: Int { cellGtStart.count - 1 }
}

extension PreparedEval {
    /// Selects and orders GT and detections exactly as `COCOeval._prepare`/`evaluate` do.
    init(gt: COCODataset, dt: [COCOResult], iouType: IoUType, params: EvalParams, shared: SharedRegions) {
        self.iouType = iouType
        var p = params
        p.maxDetections.sort()
        self.params = p
        let imgs = Array(Set(params.imageIds ?? gt.images.map(\.id))).sorted()
        imageIds = imgs
        var imgIndex = [Int: Int](minimumCapacity: imgs.count)
        for (i, id) in imgs.enumerated() { imgIndex[id] = i }
        // useCats=1 evaluates sorted unique ids; useCats=0 pools them in the order given (as the loop over p.catIds does).
        let catOrder = params.categoryIds ?? gt.categories.map(\.id).sorted()
        let uniqueCats = Array(Set(catOrder)).sorted()
        var catIndex = [Int: Int](minimumCapacity: uniqueCats.count)
        for (k, id) in uniqueCats.enumerated() { catIndex[id] = k }
        categoryKeys = params.useCategories ? uniqueCats : [-1]
        let I = imgs.count, U = uniqueCats.count

        // GT: keep those of evaluated images and categories, grouped by (category, image) in list order.
        var gKey = [Int](), gSrc = [Int]()
        for (j, a) in gt.annotations.enumerated() {
            guard let i = imgIndex[a.imageId], let k = catIndex[a.categoryId], shared.gtUsable[j] else { continue }
            gKey.append(k * I + i); gSrc.append(j)
        }
        var dKey = [Int](), dSrc = [Int]()
        for (j, d) in dt.enumerated() {
            guard let i = imgIndex[d.imageId], let k = catIndex[d.categoryId] else { continue }
            dKey.append(k * I + i); dSrc.append(j)
        }
        let (gStart, gOrder) = countingSort(keys: gKey, buckets: U * I)
        let (dStart, dOrder) = countingSort(keys: dKey, buckets: U * I)

        // Local arrays indexed by the kept order.
        gtId = gSrc.map { gt.annotations[$0].id }
        gtArea = gSrc.map { shared.gtArea[$0] }
        gtCrowd = gSrc.map { gt.annotations[$0].iscrowd }
        gtRegions = shared.gtRegions.subset(gSrc)
        dtScore = dSrc.map { dt[$0].score }
        dtArea = dSrc.map { shared.dtArea[$0] }
        dtRegions = shared.dtRegions.subset(dSrc)

        // Cells: (k, i) buckets directly, or per image the concatenation over the category order.
        var gs = [0], ds = [0]
        var gl = [Int32](), dl = [Int32]()
        gl.reserveCapacity(gOrder.count); dl.reserveCapacity(dOrder.count)
        if params.useCategories {
            for b in 0..<(U * I) {
                for q in gStart[b]..<gStart[b + 1] { gl.append(Int32(gOrder[q])) }
                for q in dStart[b]..<dStart[b + 1] { dl.append(Int32(dOrder[q])) }
                gs.append(gl.count); ds.append(dl.count)
            }
        } else {
            let orderIdx = catOrder.compactMap { catIndex[$0] }
            for i in 0..<I {
                for k in orderIdx {
                    let b = k * I + i
                    for q in gStart[b]..<gStart[b + 1] { gl.append(Int32(gOrder[q])) }
                    for q in dStart[b]..<dStart[b + 1] { dl.append(Int32(dOrder[q])) }
                }
                gs.append(gl.count); ds.append(dl.count)
            }
        }
        cellGtStart = gs; cellGt = gl; cellDtStart = ds; cellDt = dl
    }
}

/// Stable counting sort of positions by key: bucket starts and positions in bucket order.
func countingSort(keys: [Int], buckets: Int) -> ([Int], [Int]) {
    var start = [Int](repeating: 0, count: buckets + 1)
    for k in keys { start[k + 1] += 1 }
    for b in 0..<buckets { start[b + 1] += start[b] }
    var fill = start
    var order = [Int](repeating: 0, count: keys.count)
    for (pos, k) in keys.enumerated() { order[fill[k]] = pos; fill[k] += 1 }
    return (start, order)
}

extension Regions {
    func subset(_ idx: [Int]) -> Regions {
        var r = Regions()
        if !boxes.isEmpty { r.boxes = idx.map { boxes[$0] } }
        if !masks.isEmpty { r.masks = idx.map { masks[$0] }; r.maskBoxes = idx.map { maskBoxes[$0] } }
        return r
    }
}

/// Regions and areas for every GT annotation and detection, computed once and shared by COCO and VOC evaluation.
public struct SharedRegions {
    let iouType: IoUType
    /// False for annotations that cannot take part (unknown image, or no region of the needed kind).
    let gtUsable: [Bool]
    let gtArea: [Double]
    let gtRegions: Regions
    let dtArea: [Double]
    let dtRegions: Regions

    /// Builds regions as `COCO.annToRLE` and `COCO.loadRes` would (polygons rasterised at the image's size,
    /// detection areas from the bbox when the first result has one, otherwise from the mask).
    init(gt: COCODataset, dt: [COCOResult], iouType: IoUType) throws {
        self.iouType = iouType
        var size = [Int: (Int, Int)](minimumCapacity: gt.images.count)
        for im in gt.images { size[im.id] = (im.height, im.width) }
        var usable = [Bool](repeating: true, count: gt.annotations.count)
        var gArea = [Double](repeating: 0, count: gt.annotations.count)
        var gr = Regions()
        let empty = RLE(height: 0, width: 0, counts: [])
        let zeroBox = BoxXYWH(x: 0, y: 0, width: 0, height: 0)
        switch iouType {
        case .bbox:
            gr.boxes = gt.annotations.enumerated().map { j, a in
                guard let b = a.bbox, size[a.imageId] != nil else { usable[j] = false; return zeroBox }
                gArea[j] = a.area ?? b.area
                return b
            }
        case .segm:
            gr.masks = try gt.annotations.enumerated().map { j, a in
                guard let (h, w) = size[a.imageId], let seg = a.segmentation else { usable[j] = false; return empty }
                let m: RLE
                switch seg {
                case .rle(let r): m = r
                case .polygons(let polys):
                    do { m = try RLE(polygons: polys, height: h, width: w) } catch {
                        throw EvalError.invalid([EvalIssue(code: "malformed_polygon", message: "gt annotation id \(a.id): \(error)")])
                    }
                }
                gArea[j] = a.area ?? Double(m.area)
                return m
            }
            gr.maskBoxes = gr.masks.map(\.boundingBox)
        }
        gtUsable = usable; gtArea = gArea; gtRegions = gr

        // loadRes: with a bbox on the first result, every area is w*h; otherwise the mask's pixel count.
        let boxAreas = dt.first?.bbox != nil
        var dArea = [Double](repeating: 0, count: dt.count)
        var dr = Regions()
        func mask(_ d: COCOResult, _ j: Int) throws -> RLE? {
            guard let seg = d.segmentation else { return nil }
            switch seg {
            case .rle(let r): return r
            case .polygons(let polys):
                guard let (h, w) = size[d.imageId] else { return nil }
                do { return try RLE(polygons: polys, height: h, width: w) } catch {
                    throw EvalError.invalid([EvalIssue(code: "malformed_polygon", message: "results[\(j)]: \(error)")])
                }
            }
        }
        switch iouType {
        case .bbox:
            dr.boxes = try dt.enumerated().map { j, d in
                if let b = d.bbox { dArea[j] = boxAreas ? b.area : Double(try mask(d, j)?.area ?? 0); return b }
                let m = try mask(d, j) ?? empty
                dArea[j] = Double(m.area)
                return m.boundingBox
            }
        case .segm:
            dr.masks = try dt.enumerated().map { j, d in
                var m = try mask(d, j)
                if m == nil, let b = d.bbox, let (h, w) = size[d.imageId] {
                    // loadRes gives box-only results the box's polygon as segmentation.
                    m = try? RLE(box: b, height: h, width: w)
                }
                let mm = m ?? empty
                dArea[j] = boxAreas ? (d.bbox?.area ?? Double(mm.area)) : Double(mm.area)
                return mm
            }
            dr.maskBoxes = dr.masks.map(\.boundingBox)
        }
        dtArea = dArea; dtRegions = dr
    }
}
