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
    // `ovr > iouThreshold` with the Float IoU promoted to Double is `ovr >= the least Float above the threshold`.
    var threshold = Float(iouThreshold)
    if Double(threshold) <= iouThreshold { threshold = threshold.nextUp }
    // The boxes in visiting order, as columns, so each kept box's pass over the rest is branch-free and vectorizes:
    // a box already suppressed stays suppressed whatever its IoU, so every later box can be tested.
    var x1 = [Float](repeating: 0, count: n), y1 = x1, x2 = x1, y2 = x1, area = x1
    var alive = [UInt8](repeating: 1, count: n)
    for (k, i) in order.enumerated() {
        let b = boxes[i]
        (x1[k], y1[k], x2[k], y2[k]) = (b.x1, b.y1, b.x2, b.y2)
        area[k] = (b.x2 - b.x1) * (b.y2 - b.y1)
    }
    var keep: [Int] = []
    keep.reserveCapacity(min(n, 1024))
    x1.withUnsafeBufferPointer { x1 in y1.withUnsafeBufferPointer { y1 in
    x2.withUnsafeBufferPointer { x2 in y2.withUnsafeBufferPointer { y2 in
    area.withUnsafeBufferPointer { area in alive.withUnsafeMutableBufferPointer { alive in
        for k in 0..<n where alive[k] != 0 {
            keep.append(order[k])
            let (ax1, ay1, ax2, ay2, aArea) = (x1[k], y1[k], x2[k], y2[k], area[k])
            for j in (k + 1)..<n {
                let w = max(0, min(ax2, x2[j]) - max(ax1, x1[j]))
                let h = max(0, min(ay2, y2[j]) - max(ay1, y1[j]))
                let inter = w * h
                let ovr = inter / (aArea + area[j] - inter)
                alive[j] &= ovr >= threshold ? 0 : 1
            }
        }
    } } } } } }
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

/// Indices that sort `values` descending; ties keep their original order (torch's stable sort). -0 and +0 tie;
/// a NaN goes first, or last with its sign bit set.
public func stableOrderDescending(_ values: [Float]) -> [Int] { topOrderDescending(values, values.count) }

/// The first `k` of `stableOrderDescending(values)`: torch.topk's indices, ties by index.
public func topOrderDescending(_ values: [Float], _ k: Int) -> [Int] {
    precondition(values.count <= Int(UInt32.max), "topOrderDescending: more than 2^32 values")
    // One UInt64 per value, sorted ascending: the value's bits mapped to an order-preserving unsigned key, inverted
    // (descending), above the index (ties by index). Keys are distinct, so a selection of the k smallest followed by
    // a sort of those k gives the same order as a full sort, without its cost.
    var keys = [UInt64](repeating: 0, count: values.count)
    for (i, v) in values.enumerated() {
        let bits = (v == 0 ? 0 : v).bitPattern
        let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        keys[i] = UInt64(~ascending) << 32 | UInt64(i)
    }
    let k = max(0, min(k, keys.count))
    if k < keys.count { selectSmallest(&keys, k) }
    keys[..<k].sort()
    return keys[..<k].map { Int($0 & 0xFFFF_FFFF) }
}

/// Moves the `k` smallest of distinct `keys` to the front (in any order): quickselect with a median-of-three pivot.
private func selectSmallest(_ keys: inout [UInt64], _ k: Int) {
    guard k > 0 else { return }
    var lo = 0, hi = keys.count - 1
    keys.withUnsafeMutableBufferPointer { a in
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            let pivot = max(min(a[lo], a[mid]), min(max(a[lo], a[mid]), a[hi]))
            var i = lo, j = hi
            while i <= j {
                while a[i] < pivot { i += 1 }
                while a[j] > pivot { j -= 1 }
                if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
            }
            // [lo, j] <= pivot <= [i, hi]; keep the side that holds position k - 1.
            if k - 1 <= j { hi = j } else if k - 1 >= i { lo = i } else { return }
        }
    }
}

/// torchvision.ops.batched_nms, including its switch on CPU: per-group NMS ("vanilla") above 4000
/// coordinates (1000 boxes), the coordinate-offset trick below. The two can keep different boxes (the offset
/// rounds coordinates in Float32), so matching torchvision needs the same switch. Returns kept indices by
/// score, descending.
///
/// `split` runs a body over slices of 0..<count, on whatever threads the caller has (the groups are independent,
/// and the result is sorted afterwards, so any split gives the same indices).
public func torchvisionBatchedNMS(boxes: [Box], scores: [Float], groups: [Int], iouThreshold: Double,
                                  split: (_ count: Int, _ body: (Range<Int>) -> Void) -> Void = { $1(0..<$0) }) -> [Int] {
    if boxes.isEmpty { return [] }
    if boxes.count * 4 <= 4000 {
        return batchedNMS(boxes: boxes, scores: scores, classIds: groups, iouThreshold: iouThreshold,
                          separation: .torchvision)
    }
    var members: [Int: [Int]] = [:]
    for (i, g) in groups.enumerated() { members[g, default: []].append(i) }
    let lists = Array(members.values)
    var keeps = [[Int]](repeating: [], count: lists.count)
    keeps.withUnsafeMutableBufferPointer { out in
        split(lists.count) { range in
            for g in range {
                let idx = lists[g]
                out[g] = nms(boxes: idx.map { boxes[$0] }, scores: idx.map { scores[$0] }, iouThreshold: iouThreshold)
                    .map { idx[$0] }
            }
        }
    }
    var kept = keeps.flatMap { $0 }
    kept.sort()  // torchvision gathers kept indices through a mask (index order), then sorts by score
    let keptScores = kept.map { scores[$0] }
    return stableOrderDescending(keptScores).map { kept[$0] }
}
