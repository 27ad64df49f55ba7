/// The semantic segmentation architectures torchvision builds, by torchvision's builder names.
public enum SemanticArchitecture: String, Sendable, Codable, CaseIterable {
    case fcnResNet50 = "fcn_resnet50"
    case deeplabv3ResNet50 = "deeplabv3_resnet50"
    case deeplabv3MobileNetV3Large = "deeplabv3_mobilenet_v3_large"
    case lrasppMobileNetV3Large = "lraspp_mobilenet_v3_large"

    /// The backbone CNN (dilated: ResNet-50 with replace_stride_with_dilation [False, True, True],
    /// MobileNetV3-Large with dilated=True).
    public var backbone: BackboneKind {
        switch self {
        case .fcnResNet50, .deeplabv3ResNet50: return .resnet50
        case .deeplabv3MobileNetV3Large, .lrasppMobileNetV3Large: return .mobilenetV3Large
        }
    }

    /// The head on top of the backbone.
    public var head: SemanticHeadKind {
        switch self {
        case .fcnResNet50: return .fcn
        case .deeplabv3ResNet50, .deeplabv3MobileNetV3Large: return .deeplabv3
        case .lrasppMobileNetV3Large: return .lraspp
        }
    }

    /// `ModelInfo.family`.
    public var family: ModelFamilyID { ModelFamilyID(rawValue: "torchvision-\(head.rawValue)") }
}

/// The segmentation heads of torchvision.models.segmentation.
public enum SemanticHeadKind: String, Sendable, Codable {
    /// FCNHead: 3x3 conv + BN + ReLU + 1x1 conv (Long et al. 2015).
    case fcn
    /// DeepLabHead: ASPP + 3x3 conv + BN + ReLU + 1x1 conv (Chen et al. 2017).
    case deeplabv3
    /// LRASPPHead: Lite R-ASPP (Howard et al. 2019).
    case lraspp
}

/// torchvision's `_VOC_CATEGORIES`: the 21 labels of its published segmentation weights.
public enum VOCCategories {
    public static let torchvision21 = [
        "__background__", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    ]
}
