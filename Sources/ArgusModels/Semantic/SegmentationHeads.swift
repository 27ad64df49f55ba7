import ArgusTensor

/// torchvision's FCNHead: 3x3 conv (no bias) + BN + ReLU + Dropout(0.1) (identity in eval) + 1x1 conv to classes.
/// The inner width (in_channels / 4 in torchvision) is read off the tensors.
struct FCNHead {
    let conv: ConvNormActivation
    let classifier: ConvNormActivation

    init(_ w: StateDictReader, prefix: String, inChannels: Int, numClasses: Int) throws {
        let inner = try w.source.requiredShape("\(prefix).0.weight", rank: 4)[0]
        conv = try ConvNormActivation(w, conv: "\(prefix).0", norm: "\(prefix).1", inChannels: inChannels,
                                      outChannels: inner, kernel: 3, activation: .relu)
        classifier = try ConvNormActivation(w, conv: "\(prefix).4", norm: nil, inChannels: inner,
                                            outChannels: numClasses, kernel: 1, activation: nil)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor { try classifier(conv(x)) }
}

/// torchvision's DeepLabHead: ASPP, 3x3 conv (no bias) + BN + ReLU, 1x1 conv to classes.
struct DeepLabHead {
    let aspp: ASPP
    let conv: ConvNormActivation
    let classifier: ConvNormActivation

    init(_ w: StateDictReader, prefix: String, inChannels: Int, numClasses: Int, atrousRates: [Int]) throws {
        aspp = try ASPP(w, prefix: "\(prefix).0", inChannels: inChannels, atrousRates: atrousRates)
        let width = try w.source.requiredShape("\(prefix).1.weight", rank: 4)[0]
        conv = try ConvNormActivation(w, conv: "\(prefix).1", norm: "\(prefix).2", inChannels: aspp.outChannels,
                                      outChannels: width, kernel: 3, activation: .relu)
        classifier = try ConvNormActivation(w, conv: "\(prefix).4", norm: nil, inChannels: width,
                                            outChannels: numClasses, kernel: 1, activation: nil)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor { try classifier(conv(aspp(x))) }
}

/// Atrous Spatial Pyramid Pooling (Chen et al. 2017) as torchvision's ASPP: a 1x1 branch, one 3x3 branch per
/// rate (dilation = padding = rate), image pooling (global average, 1x1 conv, BN, ReLU, bilinear back to the
/// map's size: a broadcast from 1x1), concatenated and projected by 1x1 conv + BN + ReLU (+ Dropout(0.5): eval
/// identity). Every conv is bias-free with its BN folded in.
struct ASPP {
    let pointwise: ConvNormActivation
    /// The dilated 3x3 branches (most of their taps read padding at these rates: the conv leaves those out).
    let atrous: [ConvNormActivation]
    let pooling: ConvNormActivation
    let project: ConvNormActivation

    var outChannels: Int { project.outChannels }

    init(_ w: StateDictReader, prefix: String, inChannels: Int, atrousRates: [Int]) throws {
        let width = try w.source.requiredShape("\(prefix).convs.0.0.weight", rank: 4)[0]
        pointwise = try ConvNormActivation(w, conv: "\(prefix).convs.0.0", norm: "\(prefix).convs.0.1",
                                           inChannels: inChannels, outChannels: width, kernel: 1, activation: .relu)
        var atrous: [ConvNormActivation] = []
        for (i, rate) in atrousRates.enumerated() {
            atrous.append(try ConvNormActivation(w, conv: "\(prefix).convs.\(i + 1).0", norm: "\(prefix).convs.\(i + 1).1",
                                                 inChannels: inChannels, outChannels: width, kernel: 3, padding: rate,
                                                 dilation: rate, activation: .relu))
        }
        self.atrous = atrous
        let p = atrousRates.count + 1
        if w.contains("\(prefix).convs.\(p + 1).1.weight") || !w.contains("\(prefix).convs.\(p).1.weight") {
            throw ModelError.unsupportedCheckpoint("ASPP at \(prefix) does not have \(atrousRates.count) atrous branches (atrous_rates \(atrousRates))")
        }
        pooling = try ConvNormActivation(w, conv: "\(prefix).convs.\(p).1", norm: "\(prefix).convs.\(p).2",
                                         inChannels: inChannels, outChannels: width, kernel: 1, activation: .relu)
        project = try ConvNormActivation(w, conv: "\(prefix).project.0", norm: "\(prefix).project.1",
                                         inChannels: (atrousRates.count + 2) * width, outChannels: width, kernel: 1,
                                         activation: .relu)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        var outputs = [try pointwise(x)] + (try atrous.map { try $0(x) })
        let pooled = try pooling(adaptiveAvgPool2d(x, outputSize: (1, 1)))
        outputs.append(try interpolateBilinear(pooled, size: (x.shape[2], x.shape[3]), alignCorners: false))
        return try project(concatenated: outputs)
    }
}

/// torchvision's LRASPPHead (Lite R-ASPP, Howard et al. 2019): cbr(high) (1x1 conv + BN + ReLU) times
/// sigmoid(1x1 conv (no bias, no BN) of the global average of high), bilinearly resized to low's size, then
/// low_classifier(low) + high_classifier(x) (1x1 convs with bias).
struct LRASPPHead {
    let cbr: ConvNormActivation
    /// The 1x1 conv of the pooled features (no bias), packed at load.
    let scale: ConvWeights
    let lowClassifier: ConvNormActivation
    let highClassifier: ConvNormActivation

    init(_ w: StateDictReader, prefix: String, lowChannels: Int, highChannels: Int, numClasses: Int) throws {
        let inter = try w.source.requiredShape("\(prefix).cbr.0.weight", rank: 4)[0]
        cbr = try ConvNormActivation(w, conv: "\(prefix).cbr.0", norm: "\(prefix).cbr.1", inChannels: highChannels,
                                     outChannels: inter, kernel: 1, activation: .relu)
        scale = try ConvWeights(w.tensor("\(prefix).scale.1.weight", shape: [inter, highChannels, 1, 1]))
        lowClassifier = try ConvNormActivation(w, conv: "\(prefix).low_classifier", norm: nil, inChannels: lowChannels,
                                               outChannels: numClasses, kernel: 1, activation: nil)
        highClassifier = try ConvNormActivation(w, conv: "\(prefix).high_classifier", norm: nil, inChannels: inter,
                                                outChannels: numClasses, kernel: 1, activation: nil)
    }

    func callAsFunction(low: Tensor, high: Tensor) throws -> Tensor {
        let s = try conv2d(adaptiveAvgPool2d(high, outputSize: (1, 1)), weights: scale, activation: .sigmoid)
        let x = try interpolateBilinear(mul(cbr(high), s), size: (low.shape[2], low.shape[3]), alignCorners: false)
        return try add(lowClassifier(low), highClassifier(x))
    }
}
