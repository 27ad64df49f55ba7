import ArgusTensor

/// ResNet-50 (He et al. 2016, "ResNet v1.5": the stride sits on the 3x3 conv) as torchvision builds it,
/// returning the outputs of the layers asked for (1-4): the FPN's, or layer4 of the segmentation models,
/// which replace the strides of layers 2-4 by dilation (torchvision's `replace_stride_with_dilation`).
struct ResNetBackbone {
    let stem: ConvNormActivation
    /// layer1 ... layerN (N = the deepest returned layer).
    let layers: [[ResNetBottleneck]]
    let returnedLayers: [Int]
    /// Channels of each returned output (the FPN's in_channels_list).
    let returnChannels: [Int]

    static let blocksPerLayer = [3, 4, 6, 3]

    /// `dilate[i]` is torchvision's replace_stride_with_dilation[i] for layer i + 2: that layer keeps stride 1
    /// and multiplies the running dilation by 2 instead (its first block still uses the previous dilation).
    init(_ w: StateDictReader, prefix: String, returnedLayers: [Int], dilate: [Bool] = [false, false, false]) throws {
        stem = try ConvNormActivation(w, conv: "\(prefix).conv1", norm: "\(prefix).bn1", inChannels: 3, outChannels: 64,
                                      kernel: 7, stride: 2, padding: 3, activation: .relu)
        var layers: [[ResNetBottleneck]] = []
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
            var blocks: [ResNetBottleneck] = []
            for b in 0..<Self.blocksPerLayer[l] {
                blocks.append(try ResNetBottleneck(w, prefix: "\(prefix).layer\(l + 1).\(b)", inChannels: inChannels,
                                                   width: width, stride: b == 0 ? stride : 1,
                                                   dilation: b == 0 ? previousDilation : dilation, downsample: b == 0))
                inChannels = width * 4
            }
            layers.append(blocks)
        }
        self.layers = layers
        self.returnedLayers = returnedLayers
        returnChannels = returnedLayers.map { 256 << ($0 - 1) }
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
        return relu(try add(h, identity))
    }
}
