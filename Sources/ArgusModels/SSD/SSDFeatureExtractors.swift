import ArgusTensor

/// torchvision's SSDFeatureExtractorVGG (SSD300): VGG-16's `features` up to conv4_3 (the third max pool in
/// ceil mode, so 300 px gives 38x38), whose output is L2-normalized and scaled per channel; then conv5, a
/// 3x3 stride-1 max pool, the atrous fc6 (dilation 6) and fc7, and four extra stages. Six maps.
struct SSDVGGFeatures {
    /// `backbone.features.<i>` convs (with ReLU) up to conv4_3; a 2x2 max pool follows 2, 7 and 14 (ceil mode).
    static let convIndices = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21]
    static let widths = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512]
    static let poolAfter: [Int: Bool] = [2: false, 7: false, 14: true]

    let convs: [(index: Int, conv: ConvNormActivation)]
    let scale: Tensor
    /// extra.0: max pool, conv5_1..3 (indices 1, 3, 5), then fc (7.0 max pool 3x3/1, 7.1 fc6, 7.3 fc7).
    let conv5: [ConvNormActivation]
    let fc6: ConvNormActivation
    let fc7: ConvNormActivation
    /// extra.1...4: a 1x1 reduction and a 3x3 conv (stride 2 padding 1 for the first two, else unpadded).
    let extras: [(ConvNormActivation, ConvNormActivation)]

    init(_ w: StateDictReader) throws {
        var cin = 3
        var convs: [(Int, ConvNormActivation)] = []
        for (i, cout) in zip(Self.convIndices, Self.widths) {
            convs.append((i, try ConvNormActivation(w, conv: "backbone.features.\(i)", norm: nil, inChannels: cin,
                                                    outChannels: cout, kernel: 3, activation: .relu)))
            cin = cout
        }
        self.convs = convs
        scale = try w.tensor("backbone.scale_weight", shape: [512])
        conv5 = try [1, 3, 5].map {
            try ConvNormActivation(w, conv: "backbone.extra.0.\($0)", norm: nil, inChannels: 512, outChannels: 512,
                                   kernel: 3, activation: .relu)
        }
        fc6 = try ConvNormActivation(w, conv: "backbone.extra.0.7.1", norm: nil, inChannels: 512, outChannels: 1024,
                                     kernel: 3, padding: 6, dilation: 6, activation: .relu)
        fc7 = try ConvNormActivation(w, conv: "backbone.extra.0.7.3", norm: nil, inChannels: 1024, outChannels: 1024,
                                     kernel: 1, activation: .relu)
        let specs = [(1024, 256, 512, 2, 1), (512, 128, 256, 2, 1), (256, 128, 256, 1, 0), (256, 128, 256, 1, 0)]
        extras = try specs.enumerated().map { i, s in
            let (cin, mid, cout, stride, padding) = s
            return (try ConvNormActivation(w, conv: "backbone.extra.\(i + 1).0", norm: nil, inChannels: cin, outChannels: mid,
                                           kernel: 1, activation: .relu),
                    try ConvNormActivation(w, conv: "backbone.extra.\(i + 1).2", norm: nil, inChannels: mid, outChannels: cout,
                                           kernel: 3, stride: stride, padding: padding, activation: .relu))
        }
    }

    var outChannels: [Int] { [512, 1024, 512, 256, 256, 256] }

    /// The smallest input side the network runs on: the last two extra stages are unpadded 3x3 convs, so the map
    /// before them must be at least 5 wide, hence fc7's at least 17 and conv4_3's 34; back through the floor,
    /// floor and ceil pools, 268 (torchvision fails below it as well).
    static let minimumInputSide = 268

    func callAsFunction(_ x: Tensor) throws -> [Tensor] {
        var h = x
        for (i, conv) in convs {
            h = try conv(h)
            if let ceil = Self.poolAfter[i] { h = try maxPool2d(h, kernel: 2, stride: 2, ceilMode: ceil) }
        }
        var out = [try l2NormalizeChannels(h, scale: scale)]
        h = try maxPool2d(h, kernel: 2, stride: 2)
        for conv in conv5 { h = try conv(h) }
        h = try fc7(try fc6(try maxPool2d(h, kernel: 3, stride: 1, padding: 1)))
        out.append(h)
        for (reduce, conv) in extras {
            h = try conv(try reduce(h))
            out.append(h)
        }
        return out
    }
}

/// torchvision's SSDLiteFeatureExtractorMobileNet: MobileNetV3-Large's `features` cut inside the C4 block
/// (its 1x1 expansion output is the first map, stride 16), the rest of the network (the second map, stride
/// 32), then four extra blocks (1x1 to half width, 3x3 depthwise stride 2, 1x1; ReLU6 after each). Six maps.
struct SSDLiteFeatures {
    /// backbone.features.0: the stem, blocks 1...C4-1 and C4's expansion; backbone.features.1: C4's remainder,
    /// the blocks after it and the last 1x1 conv.
    let stem: ConvNormActivation
    let blocks: [InvertedResidual]
    /// Index of the C4 block in `blocks`.
    let c4: Int
    let lastConv: ConvNormActivation
    let extras: [[ConvNormActivation]]
    let outChannels: [Int]

    /// The widest extra maps before SSDLiteFeatureExtractorMobileNet's `width_mult` (1.0 in torchvision's
    /// builder) and `min_depth` 16.
    static let extraDepths = [512, 256, 256, 128]

    init(_ w: StateDictReader, widthMult: Double, reducedTail: Bool) throws {
        let specs = MobileNetV3Backbone.specs(widthMult: widthMult, variant: .large, reducedTail: reducedTail)
        // _mobilenet_extractor's stage_indices[-2]: the last strided block (features index = block index + 1).
        let c4 = try (specs.lastIndex { $0.stride > 1 }).unwrap(orThrow: "MobileNetV3 table without strided blocks")
        let first = "backbone.features.0", second = "backbone.features.1"
        stem = try ConvNormActivation(w, conv: "\(first).0.0", norm: "\(first).0.1", inChannels: 3,
                                      outChannels: specs[0].inChannels, kernel: 3, stride: 2, activation: .hardswish)
        var blocks: [InvertedResidual] = []
        for (i, spec) in specs.enumerated() {
            if i < c4 {
                blocks.append(try InvertedResidual(w, prefix: "\(first).\(i + 1).block", spec: spec))
            } else if i == c4 {
                // block[0] went to the first stage as features.0.<c4+1>; block[1:] keeps its indices in features.1.0.
                blocks.append(try InvertedResidual(w, prefix: "\(second).0", spec: spec, expandPrefix: "\(first).\(i + 1)"))
            } else {
                blocks.append(try InvertedResidual(w, prefix: "\(second).\(i - c4).block", spec: spec))
            }
        }
        self.blocks = blocks
        self.c4 = c4
        let c = specs.last!.outChannels
        lastConv = try ConvNormActivation(w, conv: "\(second).\(specs.count - c4).0", norm: "\(second).\(specs.count - c4).1",
                                          inChannels: c, outChannels: 6 * c, kernel: 1, activation: .hardswish)
        var channels = 6 * c
        var extras: [[ConvNormActivation]] = []
        var outs = [specs[c4].expanded, 6 * c]
        for (i, depth) in Self.extraDepths.enumerated() {
            let out = max(16, depth), mid = out / 2, p = "backbone.extra.\(i)"
            extras.append([
                try ConvNormActivation(w, conv: "\(p).0.0", norm: "\(p).0.1", inChannels: channels, outChannels: mid,
                                       kernel: 1, activation: .relu6),
                try ConvNormActivation(w, conv: "\(p).1.0", norm: "\(p).1.1", inChannels: mid, outChannels: mid,
                                       kernel: 3, stride: 2, groups: mid, activation: .relu6),
                try ConvNormActivation(w, conv: "\(p).2.0", norm: "\(p).2.1", inChannels: mid, outChannels: out,
                                       kernel: 1, activation: .relu6),
            ])
            channels = out
            outs.append(out)
        }
        self.extras = extras
        outChannels = outs
    }

    func callAsFunction(_ x: Tensor) throws -> [Tensor] {
        var h = try stem(x)
        for block in blocks[..<c4] { h = try block(h) }
        let expanded = try blocks[c4].expanded(h)
        h = try blocks[c4].afterExpansion(expanded, input: h)
        for block in blocks[(c4 + 1)...] { h = try block(h) }
        h = try lastConv(h)
        var out = [expanded, h]
        for extra in extras {
            for conv in extra { h = try conv(h) }
            out.append(h)
        }
        return out
    }
}
