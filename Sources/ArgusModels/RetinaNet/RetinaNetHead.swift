import ArgusTensor

/// torchvision's RetinaNetHead: a classification and a regression subnet shared by every level, each four
/// 3x3 convs with ReLU (v1: with bias; v2: bias-free, GroupNorm) and a 3x3 output conv (A x K logits, A x 4
/// deltas per location).
struct RetinaNetHead {
    /// One of the four tower convs: Conv2dNormActivation with no norm (a folded conv with ReLU) or GroupNorm.
    struct TowerConv {
        let conv: ConvLayer
        let groupNorm: (groups: Int, gamma: Tensor, beta: Tensor, eps: Float)?

        init(_ w: StateDictReader, prefix: String, channels: Int, groupNorm groups: Int?, eps: Float) throws {
            if let groups {
                // Conv2dNormActivation(norm_layer=GroupNorm) builds the conv without a bias.
                let weight = try w.tensor("\(prefix).0.weight", shape: [channels, channels, 3, 3])
                conv = try ConvLayer(weight: weight, bias: nil, padding: 1, activation: nil)
                groupNorm = (groups, try w.tensor("\(prefix).1.weight", shape: [channels]),
                             try w.tensor("\(prefix).1.bias", shape: [channels]), eps)
            } else {
                conv = try ConvNormActivation(w, conv: "\(prefix).0", norm: nil, inChannels: channels, outChannels: channels,
                                              kernel: 3, activation: .relu).conv
                groupNorm = nil
            }
        }

        func callAsFunction(_ x: Tensor) throws -> Tensor {
            guard let g = groupNorm else { return try conv(x) }
            return try ArgusTensor.groupNorm(try conv(x), groups: g.groups, gamma: g.gamma, beta: g.beta, eps: g.eps,
                                             activation: .relu)
        }
    }

    let classificationTower: [TowerConv]
    let clsLogits: ConvNormActivation
    let regressionTower: [TowerConv]
    let bboxReg: ConvNormActivation
    let numClasses: Int
    let anchorsPerLocation: Int

    init(_ w: StateDictReader, config c: RetinaNetConfig) throws {
        let ch = c.fpnOutChannels, a = c.anchorsPerLocation
        func tower(_ name: String) throws -> [TowerConv] {
            try (0..<4).map {
                try TowerConv(w, prefix: "head.\(name).conv.\($0)", channels: ch, groupNorm: c.headGroupNormGroups,
                              eps: c.groupNormEps)
            }
        }
        classificationTower = try tower("classification_head")
        clsLogits = try ConvNormActivation(w, conv: "head.classification_head.cls_logits", norm: nil, inChannels: ch,
                                           outChannels: a * c.numClasses, kernel: 3, activation: nil)
        regressionTower = try tower("regression_head")
        bboxReg = try ConvNormActivation(w, conv: "head.regression_head.bbox_reg", norm: nil, inChannels: ch,
                                         outChannels: a * 4, kernel: 3, activation: nil)
        numClasses = c.numClasses
        anchorsPerLocation = a
    }

    /// One level's outputs: logits [1, A * K, H, W] and deltas [1, A * 4, H, W] (channel a * K + k).
    func callAsFunction(_ feature: Tensor) throws -> (logits: Tensor, deltas: Tensor) {
        var c = feature, r = feature
        for conv in classificationTower { c = try conv(c) }
        for conv in regressionTower { r = try conv(r) }
        return (try clsLogits(c), try bboxReg(r))
    }
}
