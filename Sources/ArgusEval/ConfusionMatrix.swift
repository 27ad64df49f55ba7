import ArgusMask

/// A detection confusion matrix with a background row and column, by Ultralytics' matching rule
/// (`ConfusionMatrix.process_batch`), per image:
/// - keep detections scoring above `confidence` (strictly);
/// - pair every ground-truth box with every kept detection whose box IoU is above `iou` (strictly), whatever the
///   classes; each detection keeps its highest-IoU pair, then each ground truth keeps the highest-IoU pair left
///   (so a detection whose best ground truth went to another detection stays unpaired, as in Ultralytics);
/// - a paired ground truth counts at (detected class, true class); an unpaired one at (background, true class);
///   an unpaired detection at (detected class, background).
/// Unlike Ultralytics, an unpaired detection counts in every image, including those where nothing pairs (Ultralytics
/// skips them there). Crowd ground truth (`iscrowd`) takes no part, as in COCO's matching it is not an object to
/// find. Boxes are COCO `[x, y, w, h]` in pixels; results without a box are left out.
public struct ConfusionMatrix: Sendable, Equatable {
    /// The categories in row/column order; index `categoryIds.count` is the background.
    public let categoryIds: [Int]
    public let iouThreshold: Double, confidence: Double
    /// `counts[predicted][true]`, (K + 1) x (K + 1).
    public private(set) var counts: [[Int]]

    public init(gt: COCODataset, dt: [COCOResult], iou: Double = 0.45, confidence: Double = 0.25) {
        categoryIds = gt.categories.map(\.id).sorted()
        iouThreshold = iou
        self.confidence = confidence
        let K = categoryIds.count
        counts = [[Int]](repeating: [Int](repeating: 0, count: K + 1), count: K + 1)
        let index = Dictionary(uniqueKeysWithValues: categoryIds.enumerated().map { ($1, $0) })
        var truths: [Int: [(box: BoxXYWH, k: Int)]] = [:], found: [Int: [(box: BoxXYWH, k: Int)]] = [:]
        for a in gt.annotations where !a.iscrowd {
            if let box = a.bbox, let k = index[a.categoryId] { truths[a.imageId, default: []].append((box, k)) }
        }
        for d in dt where d.score > confidence {
            if let box = d.bbox, let k = index[d.categoryId] { found[d.imageId, default: []].append((box, k)) }
        }
        for image in Set(truths.keys).union(found.keys) {
            add(truths[image] ?? [], found[image] ?? [])
        }
    }

    private mutating func add(_ truths: [(box: BoxXYWH, k: Int)], _ found: [(box: BoxXYWH, k: Int)]) {
        let background = categoryIds.count
        var pairs: [(iou: Double, g: Int, d: Int)] = []
        for (g, t) in truths.enumerated() {
            for (d, f) in found.enumerated() {
                let overlap = Self.iou(t.box, f.box)
                if overlap > iouThreshold { pairs.append((overlap, g, d)) }
            }
        }
        // Highest IoU first; equal IoUs in (ground truth, detection) order, so the result does not depend on sorting.
        pairs.sort { $0.iou > $1.iou || ($0.iou == $1.iou && ($0.g, $0.d) < ($1.g, $1.d)) }
        var bestOfDetection = [Bool](repeating: false, count: found.count)
        let perDetection = pairs.filter { p in
            defer { bestOfDetection[p.d] = true }
            return !bestOfDetection[p.d]
        }
        var truthTaken = [Int?](repeating: nil, count: truths.count), detectionTaken = [Bool](repeating: false, count: found.count)
        for p in perDetection where truthTaken[p.g] == nil {
            truthTaken[p.g] = p.d
            detectionTaken[p.d] = true
        }
        for (g, t) in truths.enumerated() {
            if let d = truthTaken[g] { counts[found[d].k][t.k] += 1 } else { counts[background][t.k] += 1 }
        }
        for (d, f) in found.enumerated() where !detectionTaken[d] { counts[f.k][background] += 1 }
    }

    /// Box IoU of two COCO boxes (continuous coordinates, no +1).
    static func iou(_ a: BoxXYWH, _ b: BoxXYWH) -> Double {
        let w = min(a.x + a.width, b.x + b.width) - max(a.x, b.x), h = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
        guard w > 0, h > 0 else { return 0 }
        let inter = w * h, union = a.width * a.height + b.width * b.height - inter
        return union > 0 ? inter / union : 0
    }
}
