import ArgusTensor

/// Feature Pyramid Network (Lin et al. 2017) with torchvision's LastLevelMaxPool: 1x1 lateral convs,
/// nearest top-down upsampling, 3x3 output convs, plus a stride-2 subsample of the coarsest output ("pool").
struct FeaturePyramidNetwork {
    let inner: [ConvNormActivation]
    let layer: [ConvNormActivation]

    /// `normalized`: v2's FPN (BatchNorm after each conv, no conv bias).
    init(_ w: StateDictReader, prefix: String, inChannels: [Int], outChannels: Int, normalized: Bool) throws {
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
    }

    /// Returns one map per input, finest first, then the pooled level.
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
        results.append(try maxPool2d(results[n - 1], kernel: 1, stride: 2, padding: 0))
        return results
    }
}
