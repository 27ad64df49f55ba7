import ArgusJSON

/// A COCO panoptic document: categories and, per image, its PNG's file name and segments.
public struct PanopticDataset: Sendable {
    public struct Category: Sendable, Equatable {
        public var id: Int, name: String, isThing: Bool
        public init(id: Int, name: String, isThing: Bool) { self.id = id; self.name = name; self.isThing = isThing }
    }
    public struct Segment: Sendable, Equatable {
        public var id: UInt32, categoryId: Int, isCrowd: Bool
        /// The annotation's `area` (ground truth: used as given, as panopticapi does; predictions: recounted).
        public var area: Int
        public init(id: UInt32, categoryId: Int, isCrowd: Bool, area: Int) {
            self.id = id; self.categoryId = categoryId; self.isCrowd = isCrowd; self.area = area
        }
    }
    public struct Annotation: Sendable, Equatable {
        public var imageId: Int, fileName: String, segments: [Segment]
        public init(imageId: Int, fileName: String, segments: [Segment]) {
            self.imageId = imageId; self.fileName = fileName; self.segments = segments
        }
    }

    public var categories: [Category]
    public var annotations: [Annotation]

    /// Reads `{"annotations": [{"image_id", "file_name", "segments_info": [{"id", "category_id", "iscrowd"?, "area"?}]}],
    /// "categories"?: [{"id", "name", "isthing"}]}`; the ground truth must have categories.
    public init(json bytes: [UInt8], requireCategories: Bool) throws {
        let document: JSONValue
        do { document = try JSONParser.parse(bytes) } catch { throw PanopticError("invalid JSON: \(error)") }
        guard case .object = document else { throw PanopticError("a panoptic document is a JSON object") }
        func int(_ value: JSONValue?, _ what: String) throws -> Int {
            guard let d = value?.doubleValue, d == d.rounded(), abs(d) < 1e15 else { throw PanopticError("\(what) must be an integer") }
            return Int(d)
        }
        var categories: [Category] = []
        if let list = document["categories"]?.arrayValue {
            for (i, c) in list.enumerated() {
                categories.append(Category(id: try int(c["id"], "categories[\(i)].id"), name: c["name"]?.stringValue ?? "",
                                           isThing: try int(c["isthing"] ?? .number(0), "categories[\(i)].isthing") == 1))
            }
        } else if requireCategories {
            throw PanopticError("the ground truth has no categories")
        }
        guard let list = document["annotations"]?.arrayValue else { throw PanopticError("no annotations list") }
        var annotations: [Annotation] = []
        for (i, a) in list.enumerated() {
            guard let file = a["file_name"]?.stringValue, !file.isEmpty, !file.contains("/"), file != ".", file != ".." else {
                throw PanopticError("annotations[\(i)].file_name must be a file name")
            }
            var segments: [Segment] = []
            for (j, s) in (a["segments_info"]?.arrayValue ?? []).enumerated() {
                let id = try int(s["id"], "annotations[\(i)].segments_info[\(j)].id")
                guard (0..<(1 << 24)).contains(id) else { throw PanopticError("segment id \(id) is not an RGB colour (0 ... 2^24 - 1)") }
                segments.append(Segment(id: UInt32(id), categoryId: try int(s["category_id"], "annotations[\(i)].segments_info[\(j)].category_id"),
                                        isCrowd: try int(s["iscrowd"] ?? .number(0), "iscrowd") == 1,
                                        area: try int(s["area"] ?? .number(0), "area")))
            }
            annotations.append(Annotation(imageId: try int(a["image_id"], "annotations[\(i)].image_id"), fileName: file, segments: segments))
        }
        self.categories = categories
        self.annotations = annotations
    }
}

/// A panoptic input that panopticapi would refuse (it raises), with its reason.
public struct PanopticError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// PQ, SQ and RQ as panopticapi's `pq_compute` (panopticapi-lite 0.2.0) computes them.
public struct PanopticQuality: Sendable {
    public struct Totals: Sendable, Equatable {
        public var iou = 0.0, tp = 0, fp = 0, fn = 0
        public init(iou: Double = 0, tp: Int = 0, fp: Int = 0, fn: Int = 0) { self.iou = iou; self.tp = tp; self.fp = fp; self.fn = fn }
    }
    public struct Scores: Sendable, Equatable {
        public var pq: Double, sq: Double, rq: Double
        public init(pq: Double, sq: Double, rq: Double) { self.pq = pq; self.sq = sq; self.rq = rq }
    }

    public let categories: [PanopticDataset.Category]
    public private(set) var totals: [Int: Totals] = [:]

    public init(categories: [PanopticDataset.Category]) { self.categories = categories }

    /// Adds one image: its ground truth and predicted segment id maps (`R + 256 G + 256^2 B` per pixel, same size).
    /// Per image, as panopticapi: a predicted segment's area is its pixel count; a ground-truth pair (same category,
    /// ground truth not crowd) matches when IoU > 0.5, where the union leaves out the prediction's void pixels; an
    /// unmatched non-crowd ground truth is a false negative; an unmatched prediction is a false positive unless
    /// more than half of it lies on void or on a crowd region of its category.
    public mutating func add(gt: PanopticDataset.Annotation, gtIds: [UInt32], prediction: PanopticDataset.Annotation,
                             predictionIds: [UInt32]) throws {
        guard gtIds.count == predictionIds.count else {
            throw PanopticError("image \(gt.imageId): the prediction PNG's size differs from the ground truth's")
        }
        let known = Set(categories.map(\.id))
        // As Python dicts built from the lists: a repeated id keeps its first place and its last value.
        func unique(_ segments: [PanopticDataset.Segment]) -> (order: [UInt32], byId: [UInt32: PanopticDataset.Segment]) {
            var order: [UInt32] = [], byId: [UInt32: PanopticDataset.Segment] = [:]
            for s in segments {
                if byId[s.id] == nil { order.append(s.id) }
                byId[s.id] = s
            }
            return (order, byId)
        }
        let (gtOrder, gtSegments) = unique(gt.segments)
        let predictions = unique(prediction.segments)
        let predictedOrder = predictions.order
        var predicted = predictions.byId
        let (pairs, predictedArea) = Self.countPairs(gtIds, predictionIds)
        for (id, area) in predictedArea.sorted(by: { $0.key < $1.key }) {
            guard var s = predicted[id] else {
                if id == 0 { continue }
                throw PanopticError("image \(gt.imageId): segment \(id) is in the PNG but not in the JSON")
            }
            s.area = area
            predicted[id] = s
            guard known.contains(s.categoryId) else {
                throw PanopticError("image \(gt.imageId): segment \(id) has unknown category_id \(s.categoryId)")
            }
        }
        let missing = predictedOrder.filter { predictedArea[$0] == nil }
        guard missing.isEmpty else {
            throw PanopticError("image \(gt.imageId): segments \(missing) are in the JSON but not in the PNG")
        }
        // In ascending (ground truth, prediction) order, as panopticapi's np.unique gives them.
        var gtMatched = Set<UInt32>(), predictionMatched = Set<UInt32>()
        for (key, intersection) in pairs.sorted(by: { $0.key < $1.key }) {
            let g = UInt32(key >> 24), p = UInt32(key & 0xFF_FFFF)
            guard let gs = gtSegments[g], let ps = predicted[p], !gs.isCrowd, gs.categoryId == ps.categoryId else { continue }
            let union = ps.area + gs.area - intersection - (pairs[UInt64(p)] ?? 0)
            let iou = Double(intersection) / Double(union)
            if iou > 0.5 {
                totals[gs.categoryId, default: Totals()].tp += 1
                totals[gs.categoryId, default: Totals()].iou += iou
                gtMatched.insert(g)
                predictionMatched.insert(p)
            }
        }
        var crowdOfCategory: [Int: UInt32] = [:]
        for id in gtOrder where !gtMatched.contains(id) {
            let s = gtSegments[id]!
            if s.isCrowd { crowdOfCategory[s.categoryId] = id; continue }
            totals[s.categoryId, default: Totals()].fn += 1
        }
        for id in predictedOrder where !predictionMatched.contains(id) {
            let ps = predicted[id]!
            var ignored = pairs[UInt64(id)] ?? 0
            if let crowd = crowdOfCategory[ps.categoryId] { ignored += pairs[UInt64(crowd) << 24 | UInt64(id)] ?? 0 }
            if Double(ignored) / Double(ps.area) > 0.5 { continue }
            totals[ps.categoryId, default: Totals()].fp += 1
        }
    }

    /// Pixels per (ground truth id, predicted id) pair, keyed `gt << 24 | predicted`, and per predicted id. Ids are
    /// numbered densely first (runs of one id are long, so a one-entry cache spares most lookups) and the pairs
    /// counted in a table.
    static func countPairs(_ gtIds: [UInt32], _ predictionIds: [UInt32]) -> (pairs: [UInt64: Int], predictedArea: [UInt32: Int]) {
        func dense(_ ids: [UInt32]) -> (index: [Int32], values: [UInt32]) {
            var numbering: [UInt32: Int32] = [:], values: [UInt32] = [], index = [Int32](repeating: 0, count: ids.count)
            var lastId: UInt32 = 0, lastIndex: Int32 = -1
            for (i, id) in ids.enumerated() {
                if id != lastId || lastIndex < 0 {
                    if let known = numbering[id] { lastIndex = known } else {
                        lastIndex = Int32(values.count); numbering[id] = lastIndex; values.append(id)
                    }
                    lastId = id
                }
                index[i] = lastIndex
            }
            return (index, values)
        }
        let g = dense(gtIds), p = dense(predictionIds)
        let columns = p.values.count
        var table = [Int](repeating: 0, count: g.values.count * columns)
        for i in gtIds.indices { table[Int(g.index[i]) * columns + Int(p.index[i])] += 1 }
        var pairs: [UInt64: Int] = [:], predictedArea: [UInt32: Int] = [:]
        for (gi, gv) in g.values.enumerated() {
            for (pi, pv) in p.values.enumerated() where table[gi * columns + pi] > 0 {
                let n = table[gi * columns + pi]
                pairs[UInt64(gv) << 24 | UInt64(pv)] = n
                predictedArea[pv, default: 0] += n
            }
        }
        return (pairs, predictedArea)
    }

    /// Per category (those of `isThing`, or all when nil): 0s for a category with no TP, FP or FN, which does not
    /// count in the mean; the mean over the others and how many there are. With none, the means are 0 (panopticapi
    /// divides by zero there).
    public func average(isThing: Bool?) -> (mean: Scores, n: Int, perClass: [Int: Scores]) {
        var sum = Scores(pq: 0, sq: 0, rq: 0), n = 0, perClass: [Int: Scores] = [:]
        for c in categories where isThing == nil || c.isThing == isThing {
            let t = totals[c.id] ?? Totals()
            guard t.tp + t.fp + t.fn > 0 else { perClass[c.id] = Scores(pq: 0, sq: 0, rq: 0); continue }
            n += 1
            let denominator = Double(t.tp) + 0.5 * Double(t.fp) + 0.5 * Double(t.fn)
            let s = Scores(pq: t.iou / denominator, sq: t.tp != 0 ? t.iou / Double(t.tp) : 0, rq: Double(t.tp) / denominator)
            perClass[c.id] = s
            sum.pq += s.pq; sum.sq += s.sq; sum.rq += s.rq
        }
        guard n > 0 else { return (sum, 0, perClass) }
        return (Scores(pq: sum.pq / Double(n), sq: sum.sq / Double(n), rq: sum.rq / Double(n)), n, perClass)
    }

    /// `{"All": {"pq", "sq", "rq", "n"}, "Things": ..., "Stuff": ..., "per_class": {"<id>": {"pq", "sq", "rq"}}}`.
    public func json() -> JSONValue {
        func scores(_ s: Scores) -> [(String, JSONValue)] { [("pq", .number(s.pq)), ("sq", .number(s.sq)), ("rq", .number(s.rq))] }
        var members: [(String, JSONValue)] = []
        for (name, isThing) in [("All", nil), ("Things", true), ("Stuff", false)] as [(String, Bool?)] {
            let a = average(isThing: isThing)
            members.append((name, .object(scores(a.mean) + [("n", .number(Double(a.n)))])))
        }
        let all = average(isThing: nil).perClass
        members.append(("per_class", .object(categories.map { c in (String(c.id), .object(scores(all[c.id]!))) })))
        return .object(members)
    }
}
