#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgusDetection

/// torchvision's BoxCoder.decode_single: (dx, dy, dw, dh) deltas, divided by the weights, applied to
/// reference boxes, in Float32 with torch's operation order. dw/dh are clamped at log(1000/16) so a
/// wild regression cannot overflow exp.
struct BoxCoder {
    let wx: Float, wy: Float, ww: Float, wh: Float
    let clip: Float = Float(log(1000.0 / 16.0))

    init(weights: [Float]) {
        (wx, wy, ww, wh) = (weights[0], weights[1], weights[2], weights[3])
    }

    @inline(__always)
    func decode(_ d: UnsafePointer<Float>, reference r: Box) -> Box {
        let width = r.x2 - r.x1, height = r.y2 - r.y1
        let ctrX = r.x1 + 0.5 * width, ctrY = r.y1 + 0.5 * height
        let dx = d[0] / wx, dy = d[1] / wy
        let dw = min(d[2] / ww, clip), dh = min(d[3] / wh, clip)
        let predCtrX = dx * width + ctrX, predCtrY = dy * height + ctrY
        let predW = expf(dw) * width, predH = expf(dh) * height
        let halfW = 0.5 * predW, halfH = 0.5 * predH
        return Box(x1: predCtrX - halfW, y1: predCtrY - halfH, x2: predCtrX + halfW, y2: predCtrY + halfH)
    }
}

extension Box {
    /// torchvision's clip_boxes_to_image: clamp x to [0, width] and y to [0, height].
    func clampedTo(height: Int, width: Int) -> Box {
        let w = Float(width), h = Float(height)
        return Box(x1: min(max(x1, 0), w), y1: min(max(y1, 0), h), x2: min(max(x2, 0), w), y2: min(max(y2, 0), h))
    }

    /// torchvision's remove_small_boxes test: both sides at least `minSize`.
    func isAtLeast(_ minSize: Float) -> Bool { (x2 - x1) >= minSize && (y2 - y1) >= minSize }
}

/// torchvision.ops.batched_nms, including its switch on CPU: per-group NMS ("vanilla") above 4000
/// coordinates (1000 boxes), the coordinate-offset trick below. Returns kept indices by score, descending.
func torchvisionBatchedNMS(boxes: [Box], scores: [Float], groups: [Int], iouThreshold: Double) -> [Int] {
    if boxes.isEmpty { return [] }
    if boxes.count * 4 <= 4000 {
        return batchedNMS(boxes: boxes, scores: scores, classIds: groups, iouThreshold: iouThreshold,
                          separation: .torchvision)
    }
    var members: [Int: [Int]] = [:]
    for (i, g) in groups.enumerated() { members[g, default: []].append(i) }
    var kept: [Int] = []
    for (_, idx) in members {
        let keep = nms(boxes: idx.map { boxes[$0] }, scores: idx.map { scores[$0] }, iouThreshold: iouThreshold)
        kept.append(contentsOf: keep.map { idx[$0] })
    }
    kept.sort()  // torchvision gathers kept indices through a mask (index order), then sorts by score
    let keptScores = kept.map { scores[$0] }
    return stableOrderDescending(keptScores).map { kept[$0] }
}
