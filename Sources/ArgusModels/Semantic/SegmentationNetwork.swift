import ArgusTensor

/// The network of one torchvision segmentation model, input batch to head logits: the dilated backbone
/// (IntermediateLayerGetter's features) and the head. Only "out" is computed: the aux classifier is training-only.
struct SegmentationNetwork {
    enum Body {
        /// fcn_resnet50 / deeplabv3_resnet50: layer4 at stride 8.
        case resnet(ResNetBackbone)
        /// MobileNetV3-Large (dilated): the stride-8 stage ("low", LRASPP only) and the last conv (stride 16).
        case mobilenet(MobileNetV3Backbone)
    }

    enum Head {
        case fcn(FCNHead)
        case deeplab(DeepLabHead)
        case lraspp(LRASPPHead)
    }

    let body: Body
    let head: Head

    init(_ source: WeightSource, config c: SemanticConfig) throws {
        let w = StateDictReader(source: source, eps: c.batchNormEps)
        let b = StateDictReader(source: source, eps: c.effectiveBackboneEps)
        let inChannels: [Int]
        switch c.architecture.backbone {
        case .resnet50:
            let r = try ResNetBackbone(b, prefix: "backbone", returnedLayers: [4], dilate: [false, true, true])
            body = .resnet(r); inChannels = r.returnChannels
        case .mobilenetV3Large:
            // Stages [0, 2, 4, 7, 13, 16]: torchvision's stage_indices[-4] (stride 8) and [-1] (the last conv).
            let stages = c.architecture.head == .lraspp ? [2, 5] : [5]
            let m = try MobileNetV3Backbone(b, prefix: "backbone", widthMult: c.widthMult, returnedLayers: stages, dilated: true)
            body = .mobilenet(m); inChannels = m.returnChannels
        }
        switch c.architecture.head {
        case .fcn:
            head = .fcn(try FCNHead(w, prefix: "classifier", inChannels: inChannels[0], numClasses: c.numClasses))
        case .deeplabv3:
            head = .deeplab(try DeepLabHead(w, prefix: "classifier", inChannels: inChannels[0], numClasses: c.numClasses,
                                            atrousRates: c.atrousRates))
        case .lraspp:
            head = .lraspp(try LRASPPHead(w, prefix: "classifier", lowChannels: inChannels[0], highChannels: inChannels[1],
                                          numClasses: c.numClasses))
        }
        try Self.checkAuxClassifier(w, architecture: c.architecture, numClasses: c.numClasses)
    }

    /// torchvision's published FCN / DeepLabV3 weights carry "aux_classifier.*" (an FCNHead on layer3 or the
    /// stride-8 MobileNet stage). It does not affect "out", so it is only checked for shape, not loaded.
    static func checkAuxClassifier(_ w: StateDictReader, architecture: SemanticArchitecture, numClasses: Int) throws {
        guard w.contains("aux_classifier.0.weight") else { return }
        let conv = try w.source.requiredShape("aux_classifier.0.weight", rank: 4)
        let last = try w.source.requiredShape("aux_classifier.4.weight", rank: 4)
        guard conv[2] == 3, conv[3] == 3, last == [numClasses, conv[0], 1, 1] else {
            throw ModelError.unsupportedCheckpoint("aux_classifier has shapes \(conv), \(last): not an FCNHead for \(numClasses) classes")
        }
    }

    /// Head logits [1, classes, h, w] at the head's resolution (stride 8, or 16 for deeplabv3_mobilenet_v3_large).
    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let features: [Tensor]
        switch body {
        case .resnet(let r): features = try r(x)
        case .mobilenet(let m): features = try m(x)
        }
        switch head {
        case .fcn(let h): return try h(features[0])
        case .deeplab(let h): return try h(features[0])
        case .lraspp(let h): return try h(low: features[0], high: features[1])
        }
    }
}
