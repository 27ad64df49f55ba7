import ArgusWeights

/// Recognises a torchvision semantic segmentation state dict (FCN, DeepLabV3, LRASPP) and reads what its
/// tensors fix: the architecture, the class count and the MobileNet width.
///
/// Key layout (IntermediateLayerGetter keeps the backbone's own names under "backbone."):
/// ResNet-50 "backbone.conv1.weight", "backbone.layer4.2.conv3.weight"; MobileNetV3 "backbone.0.0.weight",
/// "backbone.16.0.weight"; heads "classifier.*" (and "aux_classifier.*" when trained with aux_loss).
/// Faster/Mask R-CNN keys start with "backbone.body." and YOLOv5's with "model.", so none of these clash.
public enum SemanticCheckpoint {
    static let resnetStem = "backbone.conv1.weight"
    static let mobilenetStem = "backbone.0.0.weight"
    static let fcnClassifier = "classifier.4.weight"
    static let asppFirst = "classifier.0.convs.0.0.weight"
    static let lrasppLow = "classifier.low_classifier.weight"

    /// True when `weights` holds a torchvision semantic segmentation state dict.
    public static func recognizes(_ weights: WeightSource) -> Bool {
        guard weights.contains(resnetStem) || weights.contains(mobilenetStem) else { return false }
        // LRASPP's low classifier, or a 1x1 classifier at classifier.4 after an FCNHead conv or an ASPP.
        return weights.contains(lrasppLow)
            || (weights.contains(fcnClassifier) && (weights.contains("classifier.0.weight") || weights.contains(asppFirst)))
    }

    /// The architecture the tensors imply; throws for layouts torchvision has but Argus does not build
    /// (ResNet-101 variants) or that are no segmentation model.
    public static func architecture(_ weights: WeightSource) throws -> SemanticArchitecture {
        let resnet = weights.contains(resnetStem), mobilenet = weights.contains(mobilenetStem)
        if resnet, weights.contains("backbone.layer3.6.conv1.weight") {
            throw ModelError.unsupportedCheckpoint("a ResNet-101 segmentation model (layer3 has more than 6 blocks); only ResNet-50 is built")
        }
        if weights.contains(lrasppLow) {
            guard mobilenet else { throw ModelError.unsupportedCheckpoint("an LRASPP head without a MobileNetV3 backbone") }
            return .lrasppMobileNetV3Large
        }
        if weights.contains(asppFirst) {
            if resnet { return .deeplabv3ResNet50 }
            if mobilenet { return .deeplabv3MobileNetV3Large }
        } else if weights.contains(fcnClassifier), weights.contains("classifier.0.weight"), resnet {
            return .fcnResNet50
        }
        throw ModelError.unsupportedCheckpoint(
            "not a torchvision segmentation state dict (fcn_resnet50, deeplabv3_resnet50, deeplabv3_mobilenet_v3_large, lraspp_mobilenet_v3_large)")
    }

    /// `config` with num_classes and (MobileNet) width_mult read off the tensors.
    public static func fitted(_ config: SemanticConfig, to weights: WeightSource) throws -> SemanticConfig {
        var config = config
        let classifier = config.architecture.head == .lraspp ? "classifier.low_classifier.weight" : fcnClassifier
        guard let cls = weights.shape(classifier), cls.count == 4 else {
            throw ModelError.unsupportedCheckpoint("'\(classifier)' is missing or not a conv weight")
        }
        config.numClasses = cls[0]
        if config.architecture.backbone == .mobilenetV3Large {
            config.widthMult = try MobileNetV3Backbone.widthMultiplier(weights, prefix: "backbone", given: config.widthMult)
        }
        return config
    }
}
