import ArgusTensor

/// Mask R-CNN's mask branch (He et al. 2017, fig. 4 right) on 14x14 RoI features, as torchvision builds it:
/// MaskRCNNHeads (3x3 convs + ReLU, with batch norm in v2) then MaskRCNNPredictor (2x2 stride-2 transposed
/// conv + ReLU, then a 1x1 conv to one 28x28 logit map per class).
struct RoIMaskHead {
    let convs: [ConvNormActivation]
    let deconv: (weight: Tensor, bias: Tensor)
    let logits: (weight: Tensor, bias: Tensor)
    let dimReduced: Int

    init(_ w: StateDictReader, config c: FasterRCNNConfig, layers: [Int]) throws {
        var channels = c.fpnOutChannels
        var convs: [ConvNormActivation] = []
        for (i, width) in layers.enumerated() {
            let prefix = "roi_heads.mask_head.\(i)"
            convs.append(try ConvNormActivation(w, conv: "\(prefix).0", norm: c.architecture.isV2 ? "\(prefix).1" : nil,
                                                inChannels: channels, outChannels: width, kernel: 3,
                                                dilation: c.maskHeadDilation, activation: .relu))
            channels = width
        }
        self.convs = convs
        dimReduced = c.maskPredictorDimReduced
        deconv = (try w.tensor("roi_heads.mask_predictor.conv5_mask.weight", shape: [channels, dimReduced, 2, 2]),
                  try w.tensor("roi_heads.mask_predictor.conv5_mask.bias", shape: [dimReduced]))
        logits = (try w.tensor("roi_heads.mask_predictor.mask_fcn_logits.weight", shape: [c.numClasses, dimReduced, 1, 1]),
                  try w.tensor("roi_heads.mask_predictor.mask_fcn_logits.bias", shape: [c.numClasses]))
    }

    /// pooled [K, C, 14, 14] -> [K, 28, 28] logits of each RoI's own class (`labels[k]`), as torchvision's
    /// maskrcnn_inference selects them. Only the selected class's 1x1 conv row is computed: the others are
    /// discarded anyway.
    func callAsFunction(_ pooled: Tensor, labels: [Int]) throws -> Tensor {
        var x = pooled
        for conv in convs { x = try conv(x) }
        x = relu(try convTranspose2d(x, weight: deconv.weight, bias: deconv.bias, stride: 2))
        let (k, d, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let plane = h * wd
        var out = [Float](repeating: 0, count: k * plane)
        out.withUnsafeMutableBufferPointer { out in
            x.storage.withUnsafeBufferPointer { xp in
                logits.weight.storage.withUnsafeBufferPointer { wp in
                    for r in 0..<k {
                        let label = labels[r]
                        let o = out.baseAddress! + r * plane
                        let bias = logits.bias.storage[label]
                        for p in 0..<plane { o[p] = bias }
                        for j in 0..<d {
                            let wj = wp[label * d + j]
                            let src = xp.baseAddress! + (r * d + j) * plane
                            for p in 0..<plane { o[p] += wj * src[p] }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [k, h, wd], storage: out)
    }
}
