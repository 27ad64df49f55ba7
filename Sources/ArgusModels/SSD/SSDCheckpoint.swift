import ArgusWeights

/// Recognises a torchvision SSD / SSDlite state dict and reads the sizes its tensors fix (classes, and for
/// SSDlite the MobileNetV3 width multiplier and whether its tail is reduced).
enum SSDCheckpoint {
    static func recognizes(_ c: WeightSource) -> Bool {
        c.contains("head.classification_head.module_list.0.weight") || c.contains("head.classification_head.module_list.0.1.weight")
    }

    static func architecture(_ c: WeightSource) throws -> SSDArchitecture {
        if c.contains("backbone.scale_weight") { return .ssd300VGG16 }
        if c.contains("backbone.features.0.0.0.weight") { return .ssdlite320MobileNetV3Large }
        throw ModelError.unsupportedCheckpoint("a torchvision SSD state dict, but its backbone is neither VGG-16 nor MobileNetV3-Large")
    }

    /// `config` with num_classes from the first map's classifier, and the SSDlite backbone's width.
    static func fitted(_ config: SSDConfig, to c: WeightSource) throws -> SSDConfig {
        var config = config
        let first = config.architecture == .ssd300VGG16 ? "head.classification_head.module_list.0.weight"
                                                          : "head.classification_head.module_list.0.1.weight"
        let a = config.anchorsPerLocation[0]
        guard let shape = c.shape(first), shape.count == 4, shape[0] % a == 0 else {
            throw ModelError.unsupportedCheckpoint("\(first) has an unexpected shape: \(a) default boxes x classes outputs expected")
        }
        config.numClasses = shape[0] / a
        if config.architecture == .ssdlite320MobileNetV3Large {
            (config.widthMult, config.reducedTail) = try mobileNetShape(c, given: (config.widthMult, config.reducedTail))
        }
        return config
    }

    /// The width multiplier and tail whose channel table matches the stem, the C4 expansion and the last conv
    /// (`given` wins when it fits).
    static func mobileNetShape(_ c: WeightSource, given: (Double, Bool)) throws -> (Double, Bool) {
        func matches(_ width: Double, _ reduced: Bool) -> Bool {
            let specs = MobileNetV3Backbone.specs(widthMult: width, variant: .large, reducedTail: reduced)
            guard let c4 = specs.lastIndex(where: { $0.stride > 1 }) else { return false }
            let last = specs.last!.outChannels
            return c.shape("backbone.features.0.0.0.weight")?.first == specs[0].inChannels
                && c.shape("backbone.features.0.\(c4 + 1).0.weight") == [specs[c4].expanded, specs[c4].inChannels, 1, 1]
                && c.shape("backbone.features.1.\(specs.count - c4).0.weight") == [6 * last, last, 1, 1]
        }
        if matches(given.0, given.1) { return given }
        for width in [1.0, 0.75, 0.5, 0.35, 0.25, 1.25, 1.5, 2.0] {
            for reduced in [true, false] where matches(width, reduced) { return (width, reduced) }
        }
        throw ModelError.unsupportedCheckpoint("the SSDlite MobileNetV3 tensors fit no standard width multiplier")
    }
}
