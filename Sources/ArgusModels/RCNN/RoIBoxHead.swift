import ArgusDetection
import ArgusTensor

/// Fast R-CNN's box branch on pooled RoI features: torchvision's TwoMLPHead (fc6, fc7) or, in v2,
/// FastRCNNConvFCHead (four 3x3 conv + BN + ReLU, then one fc), followed by FastRCNNPredictor
/// (class logits and per-class box deltas).
struct RoIBoxHead {
    let convs: [ConvNormActivation]
    let fcs: [(weight: Tensor, bias: Tensor)]
    let clsScore: (weight: Tensor, bias: Tensor)
    let bboxPred: (weight: Tensor, bias: Tensor)

    init(_ w: StateDictReader, config c: FasterRCNNConfig) throws {
        let ch = c.fpnOutChannels, r = c.representationSize, cells = c.roiOutputSize * c.roiOutputSize
        func linear(_ name: String, _ out: Int, _ inp: Int) throws -> (weight: Tensor, bias: Tensor) {
            (try w.tensor("\(name).weight", shape: [out, inp]), try w.tensor("\(name).bias", shape: [out]))
        }
        if c.architecture.isV2 {
            convs = try (0..<4).map { i in
                try ConvNormActivation(w, conv: "roi_heads.box_head.\(i).0", norm: "roi_heads.box_head.\(i).1",
                                       inChannels: ch, outChannels: ch, kernel: 3, activation: .relu)
            }
            fcs = [try linear("roi_heads.box_head.5", r, ch * cells)]
        } else {
            convs = []
            fcs = [try linear("roi_heads.box_head.fc6", r, ch * cells), try linear("roi_heads.box_head.fc7", r, r)]
        }
        clsScore = try linear("roi_heads.box_predictor.cls_score", c.numClasses, r)
        bboxPred = try linear("roi_heads.box_predictor.bbox_pred", 4 * c.numClasses, r)
    }

    /// pooled [K, C, S, S] -> (class logits [K, classes], box deltas [K, 4 * classes]).
    func callAsFunction(_ pooled: Tensor) throws -> (logits: Tensor, deltas: Tensor) {
        var x = pooled
        for conv in convs { x = try conv(x) }
        x = x.reshaped([x.shape[0], x.count / max(1, x.shape[0])])
        for fc in fcs { x = relu(try ArgusTensor.linear(x, weight: fc.weight, bias: fc.bias)) }
        return (try ArgusTensor.linear(x, weight: clsScore.weight, bias: clsScore.bias),
                try ArgusTensor.linear(x, weight: bboxPred.weight, bias: bboxPred.bias))
    }
}
