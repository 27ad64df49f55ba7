import ArgusWeights

/// Recognises a torchvision RetinaNet state dict and reads the sizes its tensors fix (classes, FPN width).
enum RetinaNetCheckpoint {
    static func recognizes(_ c: WeightSource) -> Bool {
        c.contains("head.classification_head.cls_logits.weight") && c.contains("head.regression_head.bbox_reg.weight")
    }

    /// v2 has GroupNorm after each head conv (`conv.<i>.1`); v1 has plain convs (`conv.<i>.0`, or before
    /// torchvision 0.13 `conv.<2i>`).
    static func architecture(_ c: WeightSource) throws -> RetinaNetArchitecture {
        guard c.contains("backbone.body.layer1.0.conv3.weight") else {
            throw ModelError.unsupportedCheckpoint("a torchvision RetinaNet state dict, but its backbone is not ResNet-50")
        }
        return c.contains("head.classification_head.conv.0.1.weight") ? .resnet50FPNv2 : .resnet50FPN
    }

    /// `config` with num_classes and fpn_out_channels read off the output convs.
    static func fitted(_ config: RetinaNetConfig, to c: WeightSource) throws -> RetinaNetConfig {
        var config = config
        guard let cls = c.shape("head.classification_head.cls_logits.weight"), cls.count == 4,
              let reg = c.shape("head.regression_head.bbox_reg.weight"), reg.count == 4 else {
            throw ModelError.unsupportedCheckpoint("head.classification_head.cls_logits / head.regression_head.bbox_reg have unexpected shapes")
        }
        let a = reg[0] / 4
        guard reg[0] % 4 == 0, a == config.anchorsPerLocation, cls[0] % a == 0 else {
            throw ModelError.unsupportedCheckpoint("bbox_reg has \(reg[0]) outputs: \(config.anchorsPerLocation) anchors x 4 expected")
        }
        config.numClasses = cls[0] / a
        config.fpnOutChannels = cls[1]
        return config
    }
}
