/// The torchvision image classifiers Argus builds, by their builder names (`--arch`).
public enum ClassificationArchitecture: String, CaseIterable, Sendable, Codable {
    case alexnet
    case vgg16
    case resnet18
    case resnet50
    case mobilenetV3Large = "mobilenet_v3_large"
    case mobilenetV3Small = "mobilenet_v3_small"

    /// The ImageNet-1k class names in class-index order (what every torchvision IMAGENET1K weights' meta lists).
    public static var imageNetCategories: [String] { ImageNetCategories.names }
}

/// Recognises a torchvision classifier's state dict by its module names (the models are built with no prefix:
/// `features.*` / `classifier.*`, or `conv1`, `layer1..4`, `fc`).
enum ClassificationCheckpoint {
    static func recognizes(_ weights: WeightSource) -> Bool {
        (weights.contains("fc.weight") && weights.contains("conv1.weight") && weights.contains("layer1.0.conv1.weight"))
            || (weights.contains("features.0.weight") && weights.contains("classifier.6.weight"))
            || (weights.contains("features.0.0.weight") && weights.contains("classifier.3.weight"))
    }

    /// The architecture the tensors imply; throws, naming the difference, for torchvision's other depths and
    /// variants (ResNet-34/101/152, VGG-11/13/19 and the batch-norm VGGs), which Argus does not build.
    static func architecture(_ weights: WeightSource) throws -> ClassificationArchitecture {
        if weights.contains("fc.weight") {
            let bottleneck = weights.contains("layer1.0.conv3.weight")
            let blocks = (1...4).map { l in (0..<64).prefix { weights.contains("layer\(l).\($0).conv1.weight") }.count }
            switch (bottleneck, blocks) {
            case (false, [2, 2, 2, 2]): return .resnet18
            case (true, [3, 4, 6, 3]): return .resnet50
            default:
                throw ModelError.unsupportedCheckpoint("a ResNet with \(bottleneck ? "bottleneck" : "basic") blocks \(blocks) per layer; "
                                                       + "resnet18 ([2, 2, 2, 2] basic) and resnet50 ([3, 4, 6, 3] bottleneck) are built")
            }
        }
        if weights.contains("features.0.0.weight") {
            if weights.contains("features.16.0.weight") { return .mobilenetV3Large }
            if weights.contains("features.12.0.weight") { return .mobilenetV3Small }
            throw ModelError.unsupportedCheckpoint("a MobileNet whose features fit neither mobilenet_v3_large nor mobilenet_v3_small")
        }
        if weights.shape("features.0.weight") == [64, 3, 11, 11] { return .alexnet }
        if weights.contains("features.1.running_mean") {
            throw ModelError.unsupportedCheckpoint("a VGG with batch norm (vgg*_bn); vgg16 (no batch norm) is built")
        }
        let convs = (0..<64).filter { weights.contains("features.\($0).weight") }
        if convs == VGG16.convIndices { return .vgg16 }
        throw ModelError.unsupportedCheckpoint("a VGG-like model with convs at features \(convs); vgg16 has them at \(VGG16.convIndices)")
    }
}
