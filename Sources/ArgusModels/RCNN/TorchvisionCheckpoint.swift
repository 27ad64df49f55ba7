import ArgusWeights

/// Recognises a torchvision Faster / Mask R-CNN state dict and reads the hyper-parameters its tensors fix
/// (classes, FPN width, box-head width, backbone, mask-head widths), so fine-tuned checkpoints load without a
/// manifest.
enum TorchvisionCheckpoint {
    /// True when the file holds a torchvision two-stage detector's state dict.
    static func isFasterRCNN(_ c: WeightSource) -> Bool {
        c.contains("rpn.head.cls_logits.weight") && c.contains("roi_heads.box_predictor.cls_score.weight")
    }

    /// True when the state dict has Mask R-CNN's mask branch.
    static func hasMaskBranch(_ c: WeightSource) -> Bool {
        c.contains("roi_heads.mask_predictor.mask_fcn_logits.weight")
    }

    /// The architecture the tensors imply. MobileNet models at 320 px and at 800 px have identical tensors;
    /// the file name decides (torchvision's files name it), else `fasterrcnn_mobilenet_v3_large_fpn`. A
    /// MobileNet Mask R-CNN (no torchvision builder, but torchvision's MaskRCNN class accepts it) keeps the
    /// Faster R-CNN architecture name; `fitted` adds its mask branch.
    static func architecture(_ c: WeightSource, fileName: String) throws -> FasterRCNNArchitecture {
        if c.contains("backbone.body.conv1.weight") {
            let v2 = c.contains("roi_heads.box_head.5.weight") || c.contains("rpn.head.conv.1.0.weight")
            if hasMaskBranch(c) { return v2 ? .maskRCNNResNet50FPNv2 : .maskRCNNResNet50FPN }
            return v2 ? .resnet50FPNv2 : .resnet50FPN
        }
        if c.contains("backbone.body.0.0.weight") {
            return fileName.contains("320") ? .mobilenetV3Large320FPN : .mobilenetV3LargeFPN
        }
        throw ModelError.unsupportedCheckpoint("a torchvision detection state dict, but its backbone is neither ResNet-50 nor MobileNetV3-Large")
    }

    /// `config` with the sizes read off the tensors: num_classes, representation_size, fpn_out_channels,
    /// for MobileNet the width multiplier (stem and last conv widths), and the mask branch's widths.
    static func fitted(_ config: FasterRCNNConfig, to c: WeightSource) throws -> FasterRCNNConfig {
        var config = config
        guard let cls = c.shape("roi_heads.box_predictor.cls_score.weight"), cls.count == 2,
              let rpn = c.shape("rpn.head.cls_logits.weight"), rpn.count == 4 else {
            throw ModelError.unsupportedCheckpoint("roi_heads.box_predictor.cls_score / rpn.head.cls_logits have unexpected shapes")
        }
        config.numClasses = cls[0]
        config.representationSize = cls[1]
        config.fpnOutChannels = rpn[1]
        if config.architecture.backbone == .mobilenetV3Large {
            config.widthMult = try MobileNetV3Backbone.widthMultiplier(c, prefix: "backbone.body", given: config.widthMult)
        }
        if hasMaskBranch(c) {
            // MaskRCNNHeads: roi_heads.mask_head.<i>.0.weight [width, in, 3, 3] (mask_fcn<i+1> before 0.13).
            var layers: [Int] = []
            while let s = c.shape("roi_heads.mask_head.\(layers.count).0.weight")
                    ?? c.shape("roi_heads.mask_head.mask_fcn\(layers.count + 1).weight"), s.count == 4 {
                layers.append(s[0])
            }
            guard !layers.isEmpty, let deconv = c.shape("roi_heads.mask_predictor.conv5_mask.weight"), deconv.count == 4 else {
                throw ModelError.unsupportedCheckpoint("a mask predictor without roi_heads.mask_head convs / mask_predictor.conv5_mask")
            }
            config.maskHeadLayers = layers
            config.maskPredictorDimReduced = deconv[1]
        } else if config.architecture.isMaskRCNN {
            throw ModelError.unsupportedCheckpoint("\(config.architecture.rawValue) needs the mask branch's tensors (roi_heads.mask_predictor.*)")
        }
        return config
    }
}
