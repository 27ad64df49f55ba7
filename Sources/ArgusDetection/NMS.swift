/// Non-maximum suppression with `torchvision.ops.nms` semantics.
///
/// Boxes are visited by score, descending, with a stable sort (equal scores keep their input order);
/// a box is dropped when its IoU with an already kept box is strictly greater than `iouThreshold`.
/// The IoU is computed in Float32 exactly as torchvision's CPU kernel does, and compared with the
/// threshold as a Double (torchvision takes `double iou_threshold`). Returns kept indices in score order.
public func nms(boxes: [Box], scores: [Float], iouThreshold: Double) -> [Int] {
    precondition(boxes.count == scores.count, "nms: \(boxes.count) boxes but \(scores.count) scores")
    let n = boxes.count
    if n == 0 { return [] }
    let order = stableOrderDescending(scores)
    var suppressed = [Bool](repeating: false, count: n)
    var keep: [Int] = []
    keep.reserveCapacity(min(n, 1024))
    boxes.withUnsafeBufferPointer { b in
        var areas = [Float](repeating: 0, count: n)
        for i in 0..<n { areas[i] = (b[i].x2 - b[i].x1) * (b[i].y2 - b[i].y1) }
        for oi in 0..<n {
            let i = order[oi]
            if suppressed[i] { continue }
            keep.append(i)
            let bi = b[i], iarea = areas[i]
            for oj in (oi + 1)..<n {
                let j = order[oj]
                if suppressed[j] { continue }
                let bj = b[j]
                let w = max(0, min(bi.x2, bj.x2) - max(bi.x1, bj.x1))
                let h = max(0, min(bi.y2, bj.y2) - max(bi.y1, bj.y1))
                let inter = w * h
                let ovr = inter / (iarea + areas[j] - inter)
                if Double(ovr) > iouThreshold { suppressed[j] = true }
            }
        }
    }
    return keep
}

/// How NMS keeps different classes apart.
public enum ClassSeparation: Sendable {
    /// All boxes compete regardless of class.
    case agnostic
    /// Shift each box by `classId * offset` before NMS, as YOLOv5/Ultralytics do (`max_wh = 7680`).
    case offsetPerClass(Float)
    /// torchvision's `batched_nms`: shift by `classId * (max coordinate + 1)`.
    case torchvision
}

/// Class-aware (or agnostic) NMS. Returns kept indices in score order.
public func batchedNMS(boxes: [Box], scores: [Float], classIds: [Int], iouThreshold: Double,
                       separation: ClassSeparation) -> [Int] {
    precondition(boxes.count == classIds.count)
    let offset: Float
    switch separation {
    case .agnostic:
        return nms(boxes: boxes, scores: scores, iouThreshold: iouThreshold)
    case .offsetPerClass(let o):
        offset = o
    case .torchvision:
        var maxCoordinate = -Float.infinity
        for b in boxes { maxCoordinate = max(maxCoordinate, b.x1, b.y1, b.x2, b.y2) }
        offset = maxCoordinate + 1
    }
    let shifted = zip(boxes, classIds).map { b, c -> Box in
        let d = Float(c) * offset
        return b.offset(dx: d, dy: d)
    }
    return nms(boxes: shifted, scores: scores, iouThreshold: iouThreshold)
}

/// Indices that sort `values` descending; ties keep their original order (torch's stable sort).
public func stableOrderDescending(_ values: [Float]) -> [Int] {
    // Swift's sort is not guaranteed stable, so break ties on the index explicitly.
    return values.indices.sorted { a, b in
        values[a] != values[b] ? values[a] > values[b] : a < b
    }
}

/// torchvision.ops.batched_nms, including its switch on CPU: per-group NMS ("vanilla") above 4000
/// coordinates (1000 boxes), the coordinate-offset trick below. The two can keep different boxes (the offset
/// rounds coordinates in Float32), so matching torchvision needs the same switch. Returns kept indices by
/// score, descending.
public func torchvisionBatchedNMS(boxes: [Box], scores: [Float], groups: [Int], iouThreshold: Double) -> [Int] {
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
