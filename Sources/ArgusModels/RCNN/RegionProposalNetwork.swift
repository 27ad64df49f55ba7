#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgusDetection
import ArgusTensor

/// The RPN (Ren et al. 2015) as torchvision runs it at test time: a shared conv head scores and
/// regresses K anchors per location on every level; per level the top-n by objectness are decoded,
/// clipped, filtered, and NMS'd (levels kept apart), and the best post-NMS top-n become proposals.
struct RegionProposalNetwork {
    /// 3x3 conv(s) + ReLU (one in v1, two in v2).
    let convs: [ConvNormActivation]
    /// The 1x1 objectness and box-delta convs, packed at load.
    let clsLogits: (weights: ConvWeights, bias: Tensor)
    let bboxPred: (weights: ConvWeights, bias: Tensor)
    let anchors: AnchorGenerator
    let coder: BoxCoder
    let preNmsTopN: Int
    let postNmsTopN: Int
    let nmsThresh: Double
    let scoreThresh: Float
    let minSize: Float = 1e-3

    init(_ w: StateDictReader, config c: FasterRCNNConfig) throws {
        let ch = c.fpnOutChannels
        anchors = AnchorGenerator(sizes: c.anchorSizes, aspectRatios: c.aspectRatios)
        let a = anchors.anchorsPerLocation
        let depth = c.architecture.isV2 ? 2 : 1
        convs = try (0..<depth).map { i in
            try ConvNormActivation(w, conv: "rpn.head.conv.\(i).0", norm: nil, inChannels: ch, outChannels: ch,
                                   kernel: 3, activation: .relu)
        }
        clsLogits = (try ConvWeights(w.tensor("rpn.head.cls_logits.weight", shape: [a, ch, 1, 1])),
                     try w.tensor("rpn.head.cls_logits.bias", shape: [a]))
        bboxPred = (try ConvWeights(w.tensor("rpn.head.bbox_pred.weight", shape: [4 * a, ch, 1, 1])),
                    try w.tensor("rpn.head.bbox_pred.bias", shape: [4 * a]))
        coder = BoxCoder(weights: c.rpnBoxCoderWeights)
        preNmsTopN = c.rpnPreNmsTopNTest
        postNmsTopN = c.rpnPostNmsTopNTest
        nmsThresh = c.rpnNmsThresh
        scoreThresh = c.rpnScoreThresh
    }

    /// Proposals (in the resized image's pixels) with their objectness probabilities, best first.
    /// - features: one map per anchor level; paddedSize: the batch tensor's (H, W); imageSize: the resized,
    ///   unpadded image (H, W) boxes are clipped to.
    func callAsFunction(_ features: [Tensor], paddedSize: (Int, Int), imageSize: (Int, Int)) throws -> (boxes: [Box], scores: [Float]) {
        guard features.count == anchors.cellAnchors.count else {
            throw ModelError.malformedConfig("\(features.count) feature levels but anchors for \(anchors.cellAnchors.count)")
        }
        let a = anchors.anchorsPerLocation
        var boxes: [Box] = [], logits: [Float] = [], levels: [Int] = []
        for (level, feature) in features.enumerated() {
            var t = feature
            for conv in convs { t = try conv(t) }
            let objectness = try conv2d(t, weights: clsLogits.weights, bias: clsLogits.bias)
            let deltas = try conv2d(t, weights: bboxPred.weights, bias: bboxPred.bias)
            let (gh, gw) = (feature.shape[2], feature.shape[3])
            let plane = gh * gw
            let stride = (y: paddedSize.0 / gh, x: paddedSize.1 / gw)
            // Flat order (y, x, anchor), as torchvision's permute(0, 2, 3, 1) gives.
            let count = plane * a
            var flat = [Float](repeating: 0, count: count)
            objectness.storage.withUnsafeBufferPointer { o in
                for k in 0..<a { for p in 0..<plane { flat[p * a + k] = o[k * plane + p] } }
            }
            let top = topIndices(flat, min(preNmsTopN, count))
            deltas.storage.withUnsafeBufferPointer { d in
                var code = [Float](repeating: 0, count: 4)
                for i in top {
                    let k = i % a, p = i / a
                    for j in 0..<4 { code[j] = d[(k * 4 + j) * plane + p] }
                    let anchor = anchors.anchor(level: level, index: i, gridWidth: gw, stride: stride)
                    boxes.append(code.withUnsafeBufferPointer { coder.decode($0.baseAddress!, reference: anchor) })
                    logits.append(flat[i])
                    levels.append(level)
                }
            }
        }
        // clip, remove small, score threshold, NMS per level, keep post-NMS top-n.
        var keptBoxes: [Box] = [], keptScores: [Float] = [], keptLevels: [Int] = []
        for i in boxes.indices {
            let b = boxes[i].clampedTo(height: imageSize.0, width: imageSize.1)
            let s = logistic(logits[i])
            guard b.isAtLeast(minSize), s >= scoreThresh else { continue }
            keptBoxes.append(b); keptScores.append(s); keptLevels.append(levels[i])
        }
        let keep = torchvisionBatchedNMS(boxes: keptBoxes, scores: keptScores, groups: keptLevels, iouThreshold: nmsThresh,
                                         split: EngineSplit.items)
            .prefix(postNmsTopN)
        return (keep.map { keptBoxes[$0] }, keep.map { keptScores[$0] })
    }
}

/// torch.sigmoid in Float32.
@inline(__always)
func logistic(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

/// Indices of the `n` largest values, largest first (torch.topk; ties by index).
func topIndices(_ values: [Float], _ n: Int) -> [Int] { topOrderDescending(values, n) }
