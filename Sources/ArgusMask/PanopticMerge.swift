/// One instance prediction to place in a panoptic map: a full-image mask, its score and class.
public struct PanopticInstance: Sendable {
    /// Binary mask in original-image pixels (same size as the semantic map).
    public var mask: RLE
    /// Detection score; instances are placed in decreasing score order.
    public var score: Float
    /// Thing category id written to the segment.
    public var categoryId: Int

    /// Creates an instance.
    public init(mask: RLE, score: Float, categoryId: Int) {
        self.mask = mask; self.score = score; self.categoryId = categoryId
    }
}

/// One entry of COCO panoptic `segments_info`.
public struct PanopticSegment: Sendable, Equatable {
    /// Segment id as painted in `PanopticResult.segmentIds` (1, 2, ... in placement order).
    public var id: Int
    /// Thing category (instance) or semantic class index (stuff).
    public var categoryId: Int
    /// True for instances, false for stuff regions.
    public var isThing: Bool
    /// Number of pixels painted with this id.
    public var area: Int
    /// Tight box of the painted pixels `[x, y, w, h]` (integers, as COCO panoptic writes it).
    public var bbox: BoxXYWH
    /// The instance score for things; nil for stuff.
    public var score: Float?

    /// Creates a segment description.
    public init(id: Int, categoryId: Int, isThing: Bool, area: Int, bbox: BoxXYWH, score: Float?) {
        self.id = id; self.categoryId = categoryId; self.isThing = isThing
        self.area = area; self.bbox = bbox; self.score = score
    }
}

/// Thresholds of the merge; the defaults are Detectron2's PanopticFPN `COMBINE` defaults.
public struct PanopticOptions: Sendable {
    /// An instance is dropped when (its pixels already taken) / (its area) is above this.
    public var overlapThreshold: Double
    /// A stuff region (unassigned pixels of one class) is kept when its area is at least this many pixels.
    public var stuffAreaThreshold: Int
    /// Instances scoring below this are not placed.
    public var instanceScoreThreshold: Double
    /// Semantic classes that never become stuff segments (Detectron2 skips class 0, its "things" class).
    public var ignoredStuffClasses: Set<Int>

    /// Creates options (defaults: 0.5, 4096, 0.5, [0]).
    public init(overlapThreshold: Double = 0.5, stuffAreaThreshold: Int = 4096,
                instanceScoreThreshold: Double = 0.5, ignoredStuffClasses: Set<Int> = [0]) {
        self.overlapThreshold = overlapThreshold
        self.stuffAreaThreshold = stuffAreaThreshold
        self.instanceScoreThreshold = instanceScoreThreshold
        self.ignoredStuffClasses = ignoredStuffClasses
    }
}

/// A panoptic segmentation: one segment id per pixel (0 = void) and the segments' descriptions.
public struct PanopticResult: Sendable {
    public let width: Int
    public let height: Int
    /// Row-major segment ids, `segmentIds[y * width + x]`; 0 means no segment.
    public var segmentIds: [UInt32]
    /// Segments in id order.
    public var segments: [PanopticSegment]

    /// Wraps a segment-id map and its segments.
    public init(width: Int, height: Int, segmentIds: [UInt32], segments: [PanopticSegment]) {
        self.width = width; self.height = height; self.segmentIds = segmentIds; self.segments = segments
    }
}

/// Errors from the panoptic merge.
public enum PanopticError: Error, Equatable, CustomStringConvertible {
    /// An instance mask's size differs from the semantic map's.
    case sizeMismatch(instance: Int, maskWidth: Int, maskHeight: Int, width: Int, height: Int)

    public var description: String {
        switch self {
        case let .sizeMismatch(i, mw, mh, w, h):
            return "instance \(i) has a \(mw)x\(mh) mask, but the semantic map is \(w)x\(h)"
        }
    }
}

/// Things-and-stuff merge with the semantics of Detectron2's `combine_semantic_and_instance_outputs`.
public enum PanopticMerge {
    /// Places instances by decreasing score (ties keep input order; NaN scores are skipped), each
    /// dropped when more than `overlapThreshold` of it is already taken and otherwise painted on
    /// its free pixels only; then, per semantic class in increasing order (minus ignored classes),
    /// the still-free pixels of that class become one stuff segment if there are at least
    /// `stuffAreaThreshold` of them. Throws when a mask's size differs from the semantic map's.
    public static func merge(instances: [PanopticInstance], semantic: LabelMap,
                             options: PanopticOptions = .init()) throws -> PanopticResult {
        let w = semantic.width, h = semantic.height
        for (i, inst) in instances.enumerated() where inst.mask.width != w || inst.mask.height != h {
            throw PanopticError.sizeMismatch(instance: i, maskWidth: inst.mask.width, maskHeight: inst.mask.height,
                                             width: w, height: h)
        }
        var ids = [UInt32](repeating: 0, count: w * h)
        var segments = [PanopticSegment]()
        let order = instances.indices.filter { !instances[$0].score.isNaN }
            .sorted { a, b in instances[a].score > instances[b].score || (instances[a].score == instances[b].score && a < b) }
        for i in order {
            let inst = instances[i]
            if Double(inst.score) < options.instanceScoreThreshold { break }
            var area = 0, taken = 0
            forEachSetPixel(inst.mask) { p in area += 1; if ids[p] != 0 { taken += 1 } }
            if area == 0 { continue }
            if Double(taken) / Double(area) > options.overlapThreshold { continue }
            let id = UInt32(segments.count + 1)
            var box = BoxAccumulator()
            forEachSetPixel(inst.mask) { p in
                if ids[p] == 0 { ids[p] = id; box.add(p % w, p / w) }
            }
            segments.append(PanopticSegment(id: Int(id), categoryId: inst.categoryId, isThing: true,
                                            area: box.count, bbox: box.box, score: inst.score))
        }
        // Stuff: free pixels per class, then classes in increasing order.
        var histogram = [Int](repeating: 0, count: 256)
        for p in 0..<(w * h) where ids[p] == 0 { histogram[Int(semantic.labels[p])] += 1 }
        var stuffId = [UInt32](repeating: 0, count: 256)
        var firstStuff = segments.count
        for label in 0..<256 where histogram[label] > 0 && !options.ignoredStuffClasses.contains(label)
            && histogram[label] >= options.stuffAreaThreshold {
            segments.append(PanopticSegment(id: segments.count + 1, categoryId: label, isThing: false,
                                            area: 0, bbox: BoxXYWH(x: 0, y: 0, width: 0, height: 0), score: nil))
            stuffId[label] = UInt32(segments.count)
        }
        if segments.count > firstStuff {
            var boxes = [BoxAccumulator](repeating: BoxAccumulator(), count: 256)
            for y in 0..<h {
                for x in 0..<w {
                    let p = y * w + x
                    guard ids[p] == 0 else { continue }
                    let label = Int(semantic.labels[p])
                    let id = stuffId[label]
                    if id != 0 { ids[p] = id; boxes[label].add(x, y) }
                }
            }
            while firstStuff < segments.count {
                let label = segments[firstStuff].categoryId
                segments[firstStuff].area = boxes[label].count
                segments[firstStuff].bbox = boxes[label].box
                firstStuff += 1
            }
        }
        return PanopticResult(width: w, height: h, segmentIds: ids, segments: segments)
    }

    /// Calls `body` with the row-major index of every set pixel of `mask` (column-major runs).
    private static func forEachSetPixel(_ mask: RLE, _ body: (Int) -> Void) {
        let h = mask.height, w = mask.width, total = mask.pixelCount
        var start = 0
        var j = 0
        while j < mask.counts.count && start < total {
            let c = Int(mask.counts[j])
            if j & 1 == 1 {
                let end = min(start + c, total)
                var i = start
                while i < end {
                    let x = i / h
                    var y = i - x * h
                    let n = min(end - i, h - y)
                    for _ in 0..<n { body(y * w + x); y += 1 }
                    i += n
                }
            }
            start += c
            j += 1
        }
    }
}

/// Pixel count and tight box of painted pixels.
private struct BoxAccumulator {
    var count = 0
    var minX = Int.max, minY = Int.max, maxX = -1, maxY = -1

    mutating func add(_ x: Int, _ y: Int) {
        count += 1
        if x < minX { minX = x }; if x > maxX { maxX = x }
        if y < minY { minY = y }; if y > maxY { maxY = y }
    }

    var box: BoxXYWH {
        count == 0 ? BoxXYWH(x: 0, y: 0, width: 0, height: 0)
            : BoxXYWH(x: Double(minX), y: Double(minY), width: Double(maxX - minX + 1), height: Double(maxY - minY + 1))
    }
}
