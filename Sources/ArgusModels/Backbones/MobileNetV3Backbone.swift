import ArgusTensor

/// MobileNetV3-Large's or -Small's `features` (Howard et al. 2019, Tables 1 and 2) as torchvision builds them, returning the
/// outputs of the stages asked for. Stages end at the stride-2 blocks, as torchvision's
/// `_mobilenet_extractor` counts them. `dilated` (the segmentation models) is `_mobilenet_v3_conf(dilated=True)`:
/// the last three blocks (C4) get dilation 2 and the first of them loses its stride.
struct MobileNetV3Backbone {
    /// One row of torchvision's `_mobilenet_v3_conf` table for mobilenet_v3_large.
    struct BlockSpec {
        let inChannels: Int, kernel: Int, expanded: Int, outChannels: Int
        let squeezeExcite: Bool, hardswish: Bool
        /// The table's stride: it decides the stage boundaries and the residual even when dilation removes it.
        let stride: Int
        var dilation: Int = 1
        /// What the depthwise conv runs with (InvertedResidual: stride 1 when dilated).
        var effectiveStride: Int { dilation > 1 ? 1 : stride }
    }

    /// torchvision's `_mobilenet_v3_conf` tables: (input, kernel, expanded, output, SE, hardswish, stride).
    enum Variant: Sendable {
        case large, small
        var table: [(Int, Int, Int, Int, Bool, Bool, Int)] { self == .large ? largeTable : smallTable }
        /// The classifier's hidden width before `width_mult` (`last_channel`).
        var lastChannel: Int { self == .large ? 1280 : 1024 }
    }

    static let smallTable: [(Int, Int, Int, Int, Bool, Bool, Int)] = [
        (16, 3, 16, 16, true, false, 2), (16, 3, 72, 24, false, false, 2), (24, 3, 88, 24, false, false, 1),
        (24, 5, 96, 40, true, true, 2), (40, 5, 240, 40, true, true, 1), (40, 5, 240, 40, true, true, 1),
        (40, 5, 120, 48, true, true, 1), (48, 5, 144, 48, true, true, 1), (48, 5, 288, 96, true, true, 2),
        (96, 5, 576, 96, true, true, 1), (96, 5, 576, 96, true, true, 1),
    ]

    static let largeTable: [(Int, Int, Int, Int, Bool, Bool, Int)] = [
        (16, 3, 16, 16, false, false, 1), (16, 3, 64, 24, false, false, 2), (24, 3, 72, 24, false, false, 1),
        (24, 5, 72, 40, true, false, 2), (40, 5, 120, 40, true, false, 1), (40, 5, 120, 40, true, false, 1),
        (40, 3, 240, 80, false, true, 2), (80, 3, 200, 80, false, true, 1), (80, 3, 184, 80, false, true, 1),
        (80, 3, 184, 80, false, true, 1), (80, 3, 480, 112, true, true, 1), (112, 3, 672, 112, true, true, 1),
        (112, 5, 672, 160, true, true, 2), (160, 5, 960, 160, true, true, 1), (160, 5, 960, 160, true, true, 1),
    ]

    /// torchvision's `_make_divisible` (from the TensorFlow reference): round to a multiple of 8, never
    /// going more than 10% below `value`.
    static func makeDivisible(_ value: Double, divisor: Int = 8) -> Int {
        var v = max(divisor, Int(value + Double(divisor) / 2) / divisor * divisor)
        if Double(v) < 0.9 * value { v += divisor }
        return v
    }

    /// `reducedTail`: `_mobilenet_v3_conf(reduced_tail=True)` (SSDlite without an ImageNet backbone): the last
    /// stage's widths are halved before the width multiplier applies (Table 6 of the MobileNetV3 paper).
    static func specs(widthMult: Double, dilated: Bool = false, variant: Variant = .large,
                      reducedTail: Bool = false) -> [BlockSpec] {
        let table = variant.table
        return table.enumerated().map { i, row in
            let adjust = { (c: Int) in makeDivisible(Double(c) * widthMult) }
            // The C4 block halves its output; the two after it halve input, expansion and output.
            let halve = { (c: Int, from: Int) in reducedTail && i >= table.count - from ? c / 2 : c }
            return BlockSpec(inChannels: adjust(halve(row.0, 2)), kernel: row.1, expanded: adjust(halve(row.2, 2)),
                             outChannels: adjust(halve(row.3, 3)),
                             squeezeExcite: row.4, hardswish: row.5, stride: row.6,
                             dilation: dilated && i >= table.count - 3 ? 2 : 1)
        }
    }

    enum Layer {
        case conv(ConvNormActivation)
        case block(InvertedResidual)
    }

    /// features[0 ... lastIndex].
    let layers: [Layer]
    /// Indices into `features` whose outputs are returned, in order.
    let returnIndices: [Int]
    /// Channels of each returned output (the FPN's in_channels_list).
    let returnChannels: [Int]

    /// The width multiplier whose channel table matches the tensors under `prefix` (the stem alone is
    /// ambiguous: 0.25 and 0.5 both give 8 channels; the last conv, 6 x makeDivisible(160 w) outputs, and the
    /// stem together are not). `given` wins when it fits.
    static func widthMultiplier(_ weights: WeightSource, prefix: String, given: Double,
                                variant: Variant = .large) throws -> Double {
        func matches(_ w: Double) -> Bool {
            let specs = specs(widthMult: w, variant: variant)
            let c = specs.last!.outChannels
            return weights.shape("\(prefix).0.0.weight")?.first == specs[0].inChannels
                && weights.shape("\(prefix).\(specs.count + 1).0.weight") == [6 * c, c, 1, 1]
        }
        if matches(given) { return given }
        if let w = [1.0, 0.75, 0.5, 0.35, 0.25, 1.25, 1.5, 2.0].first(where: matches) { return w }
        throw ModelError.unsupportedCheckpoint("the MobileNetV3 tensors under \(prefix) fit no standard width multiplier")
    }

    /// Stage boundaries: [0] + every stride-2 block + the last conv, as `_mobilenet_extractor` computes them.
    static func stageIndices(_ specs: [BlockSpec]) -> [Int] {
        [0] + specs.indices.filter { specs[$0].stride > 1 }.map { $0 + 1 } + [specs.count + 1]
    }

    init(_ w: StateDictReader, prefix: String, widthMult: Double, returnedLayers: [Int], dilated: Bool = false,
         variant: Variant = .large) throws {
        let specs = Self.specs(widthMult: widthMult, dilated: dilated, variant: variant)
        let stages = Self.stageIndices(specs)
        guard returnedLayers.allSatisfy({ $0 >= 0 && $0 < stages.count }) else {
            throw ModelError.malformedConfig("this MobileNetV3 has stages 0...\(stages.count - 1), returned_layers \(returnedLayers)")
        }
        returnIndices = returnedLayers.map { stages[$0] }
        let last = returnIndices.max()!
        var layers: [Layer] = []
        var channels: [Int] = []
        let stemOut = specs[0].inChannels
        layers.append(.conv(try ConvNormActivation(w, conv: "\(prefix).0.0", norm: "\(prefix).0.1", inChannels: 3,
                                                  outChannels: stemOut, kernel: 3, stride: 2, activation: .hardswish)))
        channels.append(stemOut)
        for (i, spec) in specs.enumerated() where i + 1 <= last {
            layers.append(.block(try InvertedResidual(w, prefix: "\(prefix).\(i + 1).block", spec: spec)))
            channels.append(spec.outChannels)
        }
        if last == specs.count + 1 {
            let c = specs.last!.outChannels
            layers.append(.conv(try ConvNormActivation(w, conv: "\(prefix).\(last).0", norm: "\(prefix).\(last).1",
                                                      inChannels: c, outChannels: 6 * c, kernel: 1, activation: .hardswish)))
            channels.append(6 * c)
        }
        self.layers = layers
        returnChannels = returnIndices.map { channels[$0] }
    }

    func callAsFunction(_ x: Tensor) throws -> [Tensor] {
        var out: [Tensor] = []
        var h = x
        for (i, layer) in layers.enumerated() {
            switch layer {
            case .conv(let c): h = try c(h)
            case .block(let b): h = try b(h)
            }
            if returnIndices.contains(i) { out.append(h) }
        }
        return out
    }
}

/// MobileNetV2/V3 inverted residual: 1x1 expand, depthwise kxk, optional squeeze-excitation, 1x1 project,
/// with the identity shortcut when shape allows.
struct InvertedResidual {
    let expand: ConvNormActivation?
    let depthwise: ConvNormActivation
    let squeeze: SqueezeExcitation?
    let project: ConvNormActivation
    let residual: Bool

    /// `expandPrefix`: where the expansion conv lives when it is not `prefix.0` (SSDlite splits its C4 block
    /// after the expansion: torchvision moves `block[0]` into the first feature stage).
    init(_ w: StateDictReader, prefix: String, spec: MobileNetV3Backbone.BlockSpec, expandPrefix: String? = nil) throws {
        let act: Activation = spec.hardswish ? .hardswish : .relu
        var j = 0
        if spec.expanded != spec.inChannels {
            let at = expandPrefix ?? "\(prefix).0"
            expand = try ConvNormActivation(w, conv: "\(at).0", norm: "\(at).1", inChannels: spec.inChannels,
                                            outChannels: spec.expanded, kernel: 1, activation: act)
            j = 1
        } else {
            expand = nil
        }
        depthwise = try ConvNormActivation(w, conv: "\(prefix).\(j).0", norm: "\(prefix).\(j).1", inChannels: spec.expanded,
                                           outChannels: spec.expanded, kernel: spec.kernel, stride: spec.effectiveStride,
                                           dilation: spec.dilation, groups: spec.expanded, activation: act)
        j += 1
        if spec.squeezeExcite {
            squeeze = try SqueezeExcitation(w, prefix: "\(prefix).\(j)", channels: spec.expanded,
                                            squeezeChannels: MobileNetV3Backbone.makeDivisible(Double(spec.expanded / 4)))
            j += 1
        } else {
            squeeze = nil
        }
        project = try ConvNormActivation(w, conv: "\(prefix).\(j).0", norm: "\(prefix).\(j).1", inChannels: spec.expanded,
                                         outChannels: spec.outChannels, kernel: 1, activation: nil)
        residual = spec.stride == 1 && spec.inChannels == spec.outChannels
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        try afterExpansion(try expanded(x), input: x)
    }

    /// The 1x1 expansion alone (the input itself when the block has none).
    func expanded(_ x: Tensor) throws -> Tensor { try expand.map { try $0(x) } ?? x }

    /// Depthwise, squeeze-excitation, projection and shortcut on the expanded `h` of `input`.
    func afterExpansion(_ h: Tensor, input x: Tensor) throws -> Tensor {
        var h = try depthwise(h)
        if let squeeze { h = try squeeze(h) }
        h = try project(h)
        return residual ? try add(h, x) : h
    }
}

/// Squeeze-and-excitation (Hu et al.) as MobileNetV3 uses it: global average, fc1 + ReLU, fc2 + hardsigmoid,
/// channel-wise scale.
struct SqueezeExcitation {
    let fc1: (weights: ConvWeights, bias: Tensor)
    let fc2: (weights: ConvWeights, bias: Tensor)

    init(_ w: StateDictReader, prefix: String, channels: Int, squeezeChannels: Int) throws {
        fc1 = (try ConvWeights(w.tensor("\(prefix).fc1.weight", shape: [squeezeChannels, channels, 1, 1])),
               try w.tensor("\(prefix).fc1.bias", shape: [squeezeChannels]))
        fc2 = (try ConvWeights(w.tensor("\(prefix).fc2.weight", shape: [channels, squeezeChannels, 1, 1])),
               try w.tensor("\(prefix).fc2.bias", shape: [channels]))
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let pooled = try adaptiveAvgPool2d(x, outputSize: (1, 1))
        let s1 = try conv2d(pooled, weights: fc1.weights, bias: fc1.bias, activation: .relu)
        let scale = try conv2d(s1, weights: fc2.weights, bias: fc2.bias, activation: .hardsigmoid)
        return try mul(x, scale)
    }
}
