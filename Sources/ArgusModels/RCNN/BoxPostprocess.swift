import ArgusDetection
import ArgusTensor

/// torchvision's RoIHeads.postprocess_detections for one image: softmax scores, per-class decoded boxes
/// clipped to the image, background dropped, score threshold (strictly greater), tiny boxes dropped,
/// class-aware batched NMS, the best `maxDetections`.
struct BoxPostprocess {
    let coder: BoxCoder
    let scoreThresh: Float
    let nmsThresh: Double
    let maxDetections: Int
    let minSize: Float = 1e-2
    /// Keep only these classes (before NMS, so the top-n is filled with them); nil keeps all.
    let classes: Set<Int>?
    /// NMS across classes.
    let agnostic: Bool

    struct Candidate {
        var box: Box
        var score: Float
        var label: Int
    }

    func callAsFunction(logits: Tensor, deltas: Tensor, proposals: [Box], imageSize: (Int, Int)) throws -> [Candidate] {
        let k = proposals.count
        guard k > 0 else { return [] }
        let numClasses = logits.shape[1]
        let scores = try softmax(logits, axis: 1)
        var boxes: [Box] = [], kept: [Float] = [], labels: [Int] = []
        deltas.storage.withUnsafeBufferPointer { d in
            scores.storage.withUnsafeBufferPointer { s in
                // Proposal-major, class-minor: the order of torchvision's reshape(-1, 4).
                for i in 0..<k {
                    for c in 1..<numClasses {
                        let score = s[i * numClasses + c]
                        guard score > scoreThresh else { continue }
                        if let classes, !classes.contains(c) { continue }
                        let box = coder.decode(d.baseAddress! + (i * numClasses + c) * 4, reference: proposals[i])
                            .clampedTo(height: imageSize.0, width: imageSize.1)
                        guard box.isAtLeast(minSize) else { continue }
                        boxes.append(box); kept.append(score); labels.append(c)
                    }
                }
            }
        }
        let keep = agnostic
            ? nms(boxes: boxes, scores: kept, iouThreshold: nmsThresh)
            : torchvisionBatchedNMS(boxes: boxes, scores: kept, groups: labels, iouThreshold: nmsThresh,
                                    split: EngineSplit.items)
        return keep.prefix(maxDetections).map { Candidate(box: boxes[$0], score: kept[$0], label: labels[$0]) }
    }
}
