import ArgusDetection
import ArgusImage
import ArgusTensor
import ArgusWeights

/// YOLOX (Nano/Tiny/S/M/L/X or any depth / width / class count) from its official PyTorch checkpoint
/// (`torch.save({"model": state_dict, ...})`, or a bare state dict), run as YOLOX's evaluator does: `preproc`,
/// the network (Conv+BN folded, BN eps 1e-3, SiLU), the grid decode and `yolox.utils.postprocess` — the same
/// `YOLOXPipeline` as the ONNX exports (`YOLOXONNX`), so both give the same answers.
///
/// Reference: Megvii-BaseDetection/YOLOX 0.3.0 `yolox/models/{darknet,network_blocks,yolo_pafpn,yolo_head}.py`,
/// `exps/default/yolox_*.py` (depth, width, depthwise, test size). Defaults: conf 0.3, NMS 0.45 (the demo's),
/// input 416 (Nano, Tiny) or 640.
public struct YOLOX: Detector {
    public let info: ModelInfo
    let network: YOLOXNetwork

    /// The settings read from the checkpoint (variant, width, depth, depthwise, classes).
    public var config: YOLOXConfig { network.config }

    /// True when the checkpoint holds a YOLOX state dict (`backbone.backbone.stem.conv.conv.weight`,
    /// `head.cls_preds.0.weight`, ...).
    public static func recognizes(_ checkpoint: Checkpoint) -> Bool {
        YOLOXConfig.recognizes(checkpoint)
    }

    /// Builds the network the tensors describe; class names as given when they fit, else COCO's 80 for an 80-class
    /// model, else `class0`, `class1`, ...
    public static func load(_ checkpoint: Checkpoint, name: String, classNames: [String]? = nil) throws -> YOLOX {
        let network = try YOLOXNetwork(checkpoint)
        let config = network.config
        let info = ModelInfo(name: name, family: .yolox, task: .detect,
                             classNames: YOLOXPipeline.classNames(classNames, count: config.classCount), stride: 32,
                             defaults: YOLOXPipeline.defaults(size: config.inputSize))
        return YOLOX(info: info, network: network)
    }

    /// The square network input side for an `imageSize` option: rounded up to a multiple of 32.
    static func inputSide(_ imageSize: Int) -> Int {
        max(32, (imageSize + 31) / 32 * 32)
    }

    /// The raw head output for an image at a square input side: [1, rows, 5 + classes] (box logits, sigmoid obj,
    /// sigmoid classes), with the `preproc` input and ratio.
    func forward(_ image: RGBImage, side: Int) throws -> (input: Tensor, ratio: Float, output: Tensor) {
        let (input, ratio) = YOLOXPipeline.preprocess(image, width: side, height: side)
        return (input, ratio, try network(input))
    }

    public func detect(_ image: RGBImage, options: DetectOptions) throws -> DetectionOutput {
        let options = try options.resolved(info.defaults)
        let side = Self.inputSide(options.imageSize)
        var timings = StageTimings()
        var clock = Stopwatch()
        let (input, ratio) = YOLOXPipeline.preprocess(image, width: side, height: side)
        timings.preprocess = clock.lap()
        var values = try network(input).storage
        timings.inference = clock.lap()
        let columns = network.head.classCount + 5
        YOLOXPipeline.decode(&values, columns: columns, width: side, height: side)
        let detections = YOLOXPipeline.postprocess(
            values, classCount: network.head.classCount, ratio: ratio,
            confidence: options.confidence, iou: options.iou, maxDetections: options.maxDetections, classes: options.classes,
            agnostic: options.agnosticNMS, classNames: info.classNames)
        timings.postprocess = clock.lap()
        return DetectionOutput(detections: detections, timings: timings)
    }
}
