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
    /// Non-empty cells in ascending key order, key = category index * images + image index (category index 0
    /// when `useCats=0`); empty cells are pycocotools' `None` and never stored, so memory follows the input size.
    let cellKey: [Int]
    /// CSR lists of GT and detection indices per cell, in pycocotools' order.
    let cellGtStart: [Int]
    let cellGt: [Int32]
    let cellDtStart: [Int]
    let cellDt: [Int32]

    var cellCount: Int { cellKey.count }
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
        let I = imgs.count

        // Keys: (category, image) with useCats, else (image) with the position in the category order as
        // sub-key, so pooled lists follow the loop `for cId in p.catIds` (a repeated id pools twice, as there).
        // That pooled order, not the results-list order, is what breaks score ties (evaluateCell sorts on it).
        var positions = [Int: [Int]]()
        for (p, id) in catOrder.enumerated() { positions[id, default: []].append(p) }
        let useCats = params.useCategories
        var gEntries = [CellEntry](), gSrc = [Int]()
        for (j, a) in gt.annotations.enumerated() {
            guard shared.gtUsable[j], let i = imgIndex[a.imageId], let k = catIndex[a.categoryId] else { continue }
            let local = Int32(gSrc.count)
            gSrc.append(j)
            if useCats { gEntries.append(CellEntry(key: k * I + i, sub: 0, local: local)) }
            else { for p in positions[a.categoryId]! { gEntries.append(CellEntry(key: i, sub: p, local: local)) } }
        }
        var dEntries = [CellEntry](), dSrc = [Int]()
        for (j, d) in dt.enumerated() {
            guard let i = imgIndex[d.imageId], let k = catIndex[d.categoryId] else { continue }
            let local = Int32(dSrc.count)
            dSrc.append(j)
            if useCats { dEntries.append(CellEntry(key: k * I + i, sub: 0, local: local)) }
            else { for p in positions[d.categoryId]! { dEntries.append(CellEntry(key: i, sub: p, local: local)) } }
        }
        gEntries.sort(by: CellEntry.less)
        dEntries.sort(by: CellEntry.less)

        gtId = gSrc.map { gt.annotations[$0].id }
        gtArea = gSrc.map { shared.gtArea[$0] }
        gtCrowd = gSrc.map { gt.annotations[$0].iscrowd }
        gtRegions = shared.gtRegions.subset(gSrc)
        dtScore = dSrc.map { dt[$0].score }
        dtArea = dSrc.map { shared.dtArea[$0] }
        dtRegions = shared.dtRegions.subset(dSrc)

        // Merge the two sorted entry lists into cells.
        var keys = [Int](), gs = [0], ds = [0]
        var gl = [Int32](), dl = [Int32]()
        gl.reserveCapacity(gEntries.count); dl.reserveCapacity(dEntries.count)
        var a = 0, b = 0
        while a < gEntries.count || b < dEntries.count {
            let key = min(a < gEntries.count ? gEntries[a].key : Int.max, b < dEntries.count ? dEntries[b].key : Int.max)
            while a < gEntries.count && gEntries[a].key == key { gl.append(gEntries[a].local); a += 1 }
            while b < dEntries.count && dEntries[b].key == key { dl.append(dEntries[b].local); b += 1 }
            keys.append(key); gs.append(gl.count); ds.append(dl.count)
        }
        cellKey = keys; cellGtStart = gs; cellGt = gl; cellDtStart = ds; cellDt = dl
    }
}

/// One GT or detection placed in a cell: sorted by key, then sub-key, then list position.
struct CellEntry {
    var key: Int
    var sub: Int
    var local: Int32

    static func less(_ x: CellEntry, _ y: CellEntry) -> Bool {
        x.key != y.key ? x.key < y.key : (x.sub != y.sub ? x.sub < y.sub : x.local < y.local)
    }
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
    public init(gt: COCODataset, dt: [COCOResult], iouType: IoUType) throws {
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
