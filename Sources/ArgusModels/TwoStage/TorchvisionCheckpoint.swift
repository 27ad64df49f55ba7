import ArgusWeights

/// Recognises a torchvision Faster R-CNN state dict and reads the hyper-parameters its tensors fix
/// (classes, FPN width, box-head width, backbone), so fine-tuned checkpoints load without a manifest.
enum TorchvisionCheckpoint {
    /// True when the file holds a torchvision two-stage detector's state dict.
    static func isFasterRCNN(_ c: Checkpoint) -> Bool {
        c.contains("rpn.head.cls_logits.weight") && c.contains("roi_heads.box_predictor.cls_score.weight")
    }

    /// The architecture the tensors imply. MobileNet models at 320 px and at 800 px have identical tensors;
    /// the file name decides (torchvision's files name it), else `fasterrcnn_mobilenet_v3_large_fpn`.
    static func architecture(_ c: Checkpoint, fileName: String) throws -> FasterRCNNArchitecture {
        if c.contains("backbone.body.conv1.weight") {
            return c.contains("roi_heads.box_head.5.weight") || c.contains("rpn.head.conv.1.0.weight") ? .resnet50FPNv2 : .resnet50FPN
        }
        if c.contains("backbone.body.0.0.weight") {
            return fileName.contains("320") ? .mobilenetV3Large320FPN : .mobilenetV3LargeFPN
        }
        throw ModelError.unsupportedCheckpoint("a torchvision detection state dict, but its backbone is neither ResNet-50 nor MobileNetV3-Large")
    }

    /// `config` with the sizes read off the tensors: num_classes, representation_size, fpn_out_channels and,
    /// for MobileNet, the width multiplier (from the stem's channel count).
    static func fitted(_ config: FasterRCNNConfig, to c: Checkpoint) throws -> FasterRCNNConfig {
        var config = config
        guard let cls = c.info("roi_heads.box_predictor.cls_score.weight")?.shape, cls.count == 2,
              let rpn = c.info("rpn.head.cls_logits.weight")?.shape, rpn.count == 4 else {
            throw ModelError.unsupportedCheckpoint("roi_heads.box_predictor.cls_score / rpn.head.cls_logits have unexpected shapes")
        }
        config.numClasses = cls[0]
        config.representationSize = cls[1]
        config.fpnOutChannels = rpn[1]
        if config.architecture.backbone == .mobilenetV3Large, let stem = c.info("backbone.body.0.0.weight")?.shape.first,
           stem != MobileNetV3Backbone.makeDivisible(16 * config.widthMult) {
            // The stem has makeDivisible(16 * w) channels: pick the standard multiplier that gives it.
            if let w = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0].first(where: { MobileNetV3Backbone.makeDivisible(16 * $0) == stem }) {
                config.widthMult = w
            }
        }
        return config
    }
}
