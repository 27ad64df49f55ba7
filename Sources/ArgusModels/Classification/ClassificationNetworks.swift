import ArgusTensor

/// A Linear layer's weight [out, in] and bias, by its state-dict name.
struct LinearLayer {
    let weight: Tensor
    let bias: Tensor

    init(_ w: StateDictReader, _ name: String, inFeatures: Int, outFeatures: Int? = nil) throws {
        let out = try outFeatures ?? (w.source.shape("\(name).weight")?.first).unwrap(orThrow: "\(name).weight is missing")
        weight = try w.tensor("\(name).weight", shape: [out, inFeatures])
        bias = try w.tensor("\(name).bias", shape: [out])
    }

    var outFeatures: Int { weight.shape[0] }

    func callAsFunction(_ x: Tensor, relu useReLU: Bool = false) throws -> Tensor {
        let y = try linear(x, weight: weight, bias: bias)
        return useReLU ? relu(y) : y
    }
}

extension Optional {
    func unwrap(orThrow message: @autoclosure () -> String) throws -> Wrapped {
        guard let self else { throw ModelError.unsupportedCheckpoint(message()) }
        return self
    }
}

/// [1, C, H, W] -> [1, C * H * W] (torch.flatten(x, 1): the layout is already C, H, W).
func flattened(_ x: Tensor) -> Tensor { x.reshaped([x.shape[0], x.shape.dropFirst().reduce(1, *)]) }

/// The network of one torchvision classifier, from the normalized input to the logits [1, classes].
/// Dropout is the identity in eval mode and is not built; its indices are skipped in the key names.
enum ClassificationNetwork {
    case alexnet(AlexNet)
    case vgg16(VGG16)
    case resnet(ResNetClassifier)
    case mobilenetV3(MobileNetV3Classifier)

    init(_ w: StateDictReader, architecture: ClassificationArchitecture) throws {
        switch architecture {
        case .alexnet: self = .alexnet(try AlexNet(w))
        case .vgg16: self = .vgg16(try VGG16(w))
        case .resnet18: self = .resnet(try ResNetClassifier(w, depth: .resnet18))
        case .resnet50: self = .resnet(try ResNetClassifier(w, depth: .resnet50))
        case .mobilenetV3Large: self = .mobilenetV3(try MobileNetV3Classifier(w, variant: .large))
        case .mobilenetV3Small: self = .mobilenetV3(try MobileNetV3Classifier(w, variant: .small))
        }
    }

    var numClasses: Int {
        switch self {
        case .alexnet(let m): return m.classifier.last!.outFeatures
        case .vgg16(let m): return m.classifier.last!.outFeatures
        case .resnet(let m): return m.fc.outFeatures
        case .mobilenetV3(let m): return m.classifier.1.outFeatures
        }
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        switch self {
        case .alexnet(let m): return try m(x)
        case .vgg16(let m): return try m(x)
        case .resnet(let m): return try m(x)
        case .mobilenetV3(let m): return try m(x)
        }
    }
}

/// torchvision's AlexNet (models/alexnet.py, the "one weird trick" variant): five convs with ReLU and three max
/// pools, adaptive average pool to 6x6, three Linear layers (Dropout before the first two).
struct AlexNet {
    /// features.0, 3, 6, 8, 10; a 3x3 stride-2 max pool follows features 0, 3 and 10.
    let convs: [ConvNormActivation]
    /// classifier.1, 4, 6.
    let classifier: [LinearLayer]

    init(_ w: StateDictReader) throws {
        let specs = [(0, 3, 64, 11, 4, 2), (3, 64, 192, 5, 1, 2), (6, 192, 384, 3, 1, 1), (8, 384, 256, 3, 1, 1),
                     (10, 256, 256, 3, 1, 1)]
        convs = try specs.map { i, cin, cout, k, s, p in
            try ConvNormActivation(w, conv: "features.\(i)", norm: nil, inChannels: cin, outChannels: cout, kernel: k,
                                   stride: s, padding: p, activation: .relu)
        }
        classifier = [try LinearLayer(w, "classifier.1", inFeatures: 256 * 6 * 6, outFeatures: 4096),
                      try LinearLayer(w, "classifier.4", inFeatures: 4096, outFeatures: 4096),
                      try LinearLayer(w, "classifier.6", inFeatures: 4096)]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        var h = try maxPool2d(convs[0](x), kernel: 3, stride: 2)
        h = try maxPool2d(convs[1](h), kernel: 3, stride: 2)
        h = try maxPool2d(convs[4](convs[3](convs[2](h))), kernel: 3, stride: 2)
        h = flattened(try adaptiveAvgPool2d(h, outputSize: (6, 6)))
        return try classifier[2](classifier[1](classifier[0](h, relu: true), relu: true))
    }
}

/// torchvision's VGG-16 without batch norm (configuration "D"): thirteen 3x3 convs with ReLU in five blocks,
/// each ending in a 2x2 max pool, adaptive average pool to 7x7, three Linear layers.
struct VGG16 {
    /// The `features` indices of the convs (the ReLUs and pools take the others).
    static let convIndices = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
    static let widths = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    /// Convs followed by a max pool.
    static let poolAfter: Set<Int> = [2, 7, 14, 21, 28]

    let convs: [(index: Int, conv: ConvNormActivation)]
    /// classifier.0, 3, 6.
    let classifier: [LinearLayer]

    init(_ w: StateDictReader) throws {
        var cin = 3
        var convs: [(Int, ConvNormActivation)] = []
        for (i, cout) in zip(Self.convIndices, Self.widths) {
            convs.append((i, try ConvNormActivation(w, conv: "features.\(i)", norm: nil, inChannels: cin, outChannels: cout,
                                                    kernel: 3, activation: .relu)))
            cin = cout
        }
        self.convs = convs
        classifier = [try LinearLayer(w, "classifier.0", inFeatures: 512 * 7 * 7, outFeatures: 4096),
                      try LinearLayer(w, "classifier.3", inFeatures: 4096, outFeatures: 4096),
                      try LinearLayer(w, "classifier.6", inFeatures: 4096)]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        var h = x
        for (i, conv) in convs {
            h = try conv(h)
            if Self.poolAfter.contains(i) { h = try maxPool2d(h, kernel: 2, stride: 2) }
        }
        h = flattened(try adaptiveAvgPool2d(h, outputSize: (7, 7)))
        return try classifier[2](classifier[1](classifier[0](h, relu: true), relu: true))
    }
}

/// torchvision's ResNet-18 / ResNet-50 classifier: the backbone through layer4, global average pool, `fc`.
struct ResNetClassifier {
    let backbone: ResNetBackbone
    let fc: LinearLayer

    init(_ w: StateDictReader, depth: ResNetBackbone.Depth) throws {
        backbone = try ResNetBackbone(w, prefix: "", depth: depth, returnedLayers: [4])
        fc = try LinearLayer(w, "fc", inFeatures: backbone.returnChannels[0])
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        try fc(flattened(try adaptiveAvgPool2d(try backbone(x)[0], outputSize: (1, 1))))
    }
}

/// torchvision's MobileNetV3 classifier: all of `features` (the last conv included), global average pool,
/// Linear + Hardswish (classifier.0), Dropout, Linear (classifier.3).
struct MobileNetV3Classifier {
    let features: MobileNetV3Backbone
    let classifier: (LinearLayer, LinearLayer)

    init(_ w: StateDictReader, variant: MobileNetV3Backbone.Variant) throws {
        let width = try MobileNetV3Backbone.widthMultiplier(w.source, prefix: "features", given: 1.0, variant: variant)
        let stages = MobileNetV3Backbone.stageIndices(MobileNetV3Backbone.specs(widthMult: width, variant: variant))
        features = try MobileNetV3Backbone(w, prefix: "features", widthMult: width, returnedLayers: [stages.count - 1],
                                           variant: variant)
        let hidden = try LinearLayer(w, "classifier.0", inFeatures: features.returnChannels[0])
        classifier = (hidden, try LinearLayer(w, "classifier.3", inFeatures: hidden.outFeatures))
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let pooled = flattened(try adaptiveAvgPool2d(try features(x)[0], outputSize: (1, 1)))
        return try classifier.1(hardswish(try classifier.0(pooled)))
    }
}
