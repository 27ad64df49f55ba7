import ArgusTensor

/// ResNet-50 (He et al. 2016, "ResNet v1.5": the stride sits on the 3x3 conv) and ResNet-18 as torchvision
/// builds them, returning the outputs of the layers asked for (1-4): the FPN's, layer4 of the segmentation models,
/// which replace the strides of layers 2-4 by dilation (torchvision's `replace_stride_with_dilation`), or the
/// classifier's. `prefix` may be empty (torchvision's `resnet50()` itself, whose keys have no prefix).
struct ResNetBackbone {
    /// torchvision's `resnet18` (BasicBlock, [2, 2, 2, 2]) or `resnet50` (Bottleneck, [3, 4, 6, 3]).
    enum Depth: Sendable {
        case resnet18, resnet50
        var blocksPerLayer: [Int] { self == .resnet18 ? [2, 2, 2, 2] : [3, 4, 6, 3] }
        /// Output channels per input width (BasicBlock.expansion 1, Bottleneck.expansion 4).
        var expansion: Int { self == .resnet18 ? 1 : 4 }
    }

    enum Block {
        case basic(ResNetBasicBlock)
        case bottleneck(ResNetBottleneck)

        func callAsFunction(_ x: Tensor) throws -> Tensor {
            switch self {
            case .basic(let b): return try b(x)
            case .bottleneck(let b): return try b(x)
            }
        }
    }

    let stem: ConvNormActivation
    /// layer1 ... layerN (N = the deepest returned layer).
    let layers: [[Block]]
    let returnedLayers: [Int]
    /// Channels of each returned output (the FPN's in_channels_list).
    let returnChannels: [Int]

    /// `dilate[i]` is torchvision's replace_stride_with_dilation[i] for layer i + 2: that layer keeps stride 1
    /// and multiplies the running dilation by 2 instead (its first block still uses the previous dilation).
    init(_ w: StateDictReader, prefix: String, depth: Depth = .resnet50, returnedLayers: [Int],
         dilate: [Bool] = [false, false, false]) throws {
        let prefix = prefix.isEmpty ? "" : prefix + "."
        stem = try ConvNormActivation(w, conv: "\(prefix)conv1", norm: "\(prefix)bn1", inChannels: 3, outChannels: 64,
                                      kernel: 7, stride: 2, padding: 3, activation: .relu)
        var layers: [[Block]] = []
        var inChannels = 64
        var dilation = 1
        for l in 0..<(returnedLayers.max() ?? 4) {
            let width = 64 << l
            var stride = l > 0 ? 2 : 1
            let previousDilation = dilation
            if l > 0, dilate.indices.contains(l - 1), dilate[l - 1] {
                dilation *= stride
                stride = 1
            }
            var blocks: [Block] = []
            for b in 0..<depth.blocksPerLayer[l] {
                let name = "\(prefix)layer\(l + 1).\(b)", blockStride = b == 0 ? stride : 1
                switch depth {
                case .resnet18:
                    // torchvision's _make_layer: a projection where the stride or the width changes.
                    blocks.append(.basic(try ResNetBasicBlock(w, prefix: name, inChannels: inChannels, width: width,
                                                             stride: blockStride,
                                                             downsample: b == 0 && (stride != 1 || inChannels != width))))
                case .resnet50:
                    blocks.append(.bottleneck(try ResNetBottleneck(w, prefix: name, inChannels: inChannels, width: width,
                                                                   stride: blockStride,
                                                                   dilation: b == 0 ? previousDilation : dilation,
                                                                   downsample: b == 0)))
                }
                inChannels = width * depth.expansion
            }
            layers.append(blocks)
        }
        self.layers = layers
        self.returnedLayers = returnedLayers
        returnChannels = returnedLayers.map { (64 * depth.expansion) << ($0 - 1) }
    }

    func callAsFunction(_ x: Tensor) throws -> [Tensor] {
        var h = try maxPool2d(stem(x), kernel: 3, stride: 2, padding: 1)
        var out: [Tensor] = []
        for (l, blocks) in layers.enumerated() {
            for block in blocks { h = try block(h) }
            if returnedLayers.contains(l + 1) { out.append(h) }
        }
        return out
    }
}

/// ResNet-18/34's basic block: two 3x3 convs (the first strided), plus the (projected) shortcut, ReLU.
struct ResNetBasicBlock {
    let conv1: ConvNormActivation
    let conv2: ConvNormActivation
    let downsample: ConvNormActivation?

    init(_ w: StateDictReader, prefix: String, inChannels: Int, width: Int, stride: Int, downsample: Bool) throws {
        conv1 = try ConvNormActivation(w, conv: "\(prefix).conv1", norm: "\(prefix).bn1", inChannels: inChannels,
                                       outChannels: width, kernel: 3, stride: stride, activation: .relu)
        conv2 = try ConvNormActivation(w, conv: "\(prefix).conv2", norm: "\(prefix).bn2", inChannels: width,
                                       outChannels: width, kernel: 3, activation: nil)
        self.downsample = downsample
            ? try ConvNormActivation(w, conv: "\(prefix).downsample.0", norm: "\(prefix).downsample.1",
                                     inChannels: inChannels, outChannels: width, kernel: 1, stride: stride,
                                     padding: 0, activation: nil)
            : nil
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let identity = try downsample.map { try $0(x) } ?? x
        return try add(try conv2(try conv1(x)), identity, activation: .relu)
    }
}

/// The ResNet bottleneck: 1x1 reduce, 3x3 (strided), 1x1 expand x4, plus the (projected) shortcut, ReLU.
struct ResNetBottleneck {
    let conv1: ConvNormActivation
    let conv2: ConvNormActivation
    let conv3: ConvNormActivation
    let downsample: ConvNormActivation?
    /// conv2 as polyphase Winograd when it is dilated (the segmentation models' layer3 and layer4).
    let dilatedConv2: DilatedWinogradConv?

    init(_ w: StateDictReader, prefix: String, inChannels: Int, width: Int, stride: Int, dilation: Int = 1,
         downsample: Bool) throws {
        conv1 = try ConvNormActivation(w, conv: "\(prefix).conv1", norm: "\(prefix).bn1", inChannels: inChannels,
                                       outChannels: width, kernel: 1, activation: .relu)
        conv2 = try ConvNormActivation(w, conv: "\(prefix).conv2", norm: "\(prefix).bn2", inChannels: width,
                                       outChannels: width, kernel: 3, stride: stride, dilation: dilation,
                                       activation: .relu)
        conv3 = try ConvNormActivation(w, conv: "\(prefix).conv3", norm: "\(prefix).bn3", inChannels: width,
                                       outChannels: width * 4, kernel: 1, activation: nil)
        self.downsample = downsample
            ? try ConvNormActivation(w, conv: "\(prefix).downsample.0", norm: "\(prefix).downsample.1",
                                     inChannels: inChannels, outChannels: width * 4, kernel: 1, stride: stride,
                                     padding: 0, activation: nil)
            : nil
        dilatedConv2 = dilation > 1 ? DilatedWinogradConv(conv2) : nil
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let identity = try downsample.map { try $0(x) } ?? x
        let h1 = try conv1(x)
        let h = try conv3(dilatedConv2?(h1) ?? conv2(h1))
        return try add(h, identity, activation: .relu)
    }
}
