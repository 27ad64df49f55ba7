import ArgusTensor

/// Feature Pyramid Network (Lin et al. 2017) as torchvision builds it: 1x1 lateral convs, nearest top-down
/// upsampling, 3x3 output convs, then an extra block that adds coarser levels.
struct FeaturePyramidNetwork {
    /// torchvision's `ExtraFPNBlock`s.
    enum ExtraBlock {
        /// LastLevelMaxPool (the R-CNNs): a stride-2 subsample of the coarsest output ("pool").
        case maxPool
        /// LastLevelP6P7 (RetinaNet): P6 = 3x3 stride-2 conv, P7 = the same on ReLU(P6). `fromP5`: P6 reads the
        /// coarsest FPN output, which torchvision chooses when the block's in_channels equal its out_channels
        /// (retinanet_resnet50_fpn builds LastLevelP6P7(256, 256)); otherwise it reads the coarsest backbone
        /// map, C5 (retinanet_resnet50_fpn_v2: LastLevelP6P7(2048, 256)).
        case p6p7(fromP5: Bool)
    }

    enum Extra {
        case maxPool
        case p6p7(p6: ConvNormActivation, p7: ConvNormActivation, fromP5: Bool)
    }

    let inner: [ConvNormActivation]
    let layer: [ConvNormActivation]
    let extra: Extra

    /// `normalized`: v2's FPN (BatchNorm after each conv, no conv bias).
    init(_ w: StateDictReader, prefix: String, inChannels: [Int], outChannels: Int, normalized: Bool,
         extraBlock: ExtraBlock = .maxPool) throws {
        inner = try inChannels.enumerated().map { i, c in
            try ConvNormActivation(w, conv: "\(prefix).inner_blocks.\(i).0",
                                   norm: normalized ? "\(prefix).inner_blocks.\(i).1" : nil,
                                   inChannels: c, outChannels: outChannels, kernel: 1, activation: nil)
        }
        layer = try inChannels.indices.map { i in
            try ConvNormActivation(w, conv: "\(prefix).layer_blocks.\(i).0",
                                   norm: normalized ? "\(prefix).layer_blocks.\(i).1" : nil,
                                   inChannels: outChannels, outChannels: outChannels, kernel: 3, activation: nil)
        }
        switch extraBlock {
        case .maxPool:
            extra = .maxPool
        case .p6p7(let fromP5):
            let p6In = fromP5 ? outChannels : inChannels.last!
            extra = .p6p7(
                p6: try ConvNormActivation(w, conv: "\(prefix).extra_blocks.p6", norm: nil, inChannels: p6In,
                                           outChannels: outChannels, kernel: 3, stride: 2, activation: nil),
                p7: try ConvNormActivation(w, conv: "\(prefix).extra_blocks.p7", norm: nil, inChannels: outChannels,
                                           outChannels: outChannels, kernel: 3, stride: 2, activation: nil),
                fromP5: fromP5)
        }
    }

    /// Returns one map per input, finest first, then the extra block's levels.
    func callAsFunction(_ features: [Tensor]) throws -> [Tensor] {
        let n = features.count
        var lastInner = try inner[n - 1](features[n - 1])
        var results = [try layer[n - 1](lastInner)]
        for i in stride(from: n - 2, through: 0, by: -1) {
            let lateral = try inner[i](features[i])
            let topDown = try interpolateNearest(lastInner, size: (lateral.shape[2], lateral.shape[3]))
            lastInner = try add(lateral, topDown)
            results.insert(try layer[i](lastInner), at: 0)
        }
        switch extra {
        case .maxPool:
            results.append(try maxPool2d(results[n - 1], kernel: 1, stride: 2, padding: 0))
        case let .p6p7(p6, p7, fromP5):
            let level6 = try p6(fromP5 ? results[n - 1] : features[n - 1])
            results.append(level6)
            results.append(try p7(relu(level6)))
        }
        return results
    }
}
