import ArgusDetection
import ArgusImage
import ArgusTensor
import ArgusWeights

/// Ultralytics YOLOv8 detect / segment from an Ultralytics `.pt` checkpoint, as `YOLO(pt).predict` runs it:
/// letterbox with minimal padding (stride multiple), RGB / 255, forward (Conv+BN folded, Float32), class-aware
/// NMS, boxes scaled back by `scale_boxes`, masks at the original resolution (`retina_masks=True`).
///
/// Reference: ultralytics 8.4.190 `nn/tasks.py` parse_model, `nn/modules/{conv,block,head}.py`,
/// `data/augment.py` LetterBox, `utils/nms.py`, `utils/ops.py`. Defaults: conf 0.25, iou 0.7, max_det 300, imgsz 640.
public struct YOLOv8: Detector {
    public let info: ModelInfo
    let network: YOLOv8Network

    public static let defaults = DetectDefaults(confidence: 0.25, iou: 0.7, maxDetections: 300, imageSize: 640)

    /// True when the checkpoint's pickled model is an Ultralytics 8 one: its yaml has a `scales` table or a
    /// C2f layer, or its last layer is an anchor-free `Detect` / `Segment` (with DFL).
    public static func recognizes(_ checkpoint: Checkpoint) -> Bool {
        guard let model = checkpoint.model, let yaml = model["yaml"] else { return false }
        if yaml["scales"]?.dict != nil { return true }
        let rows = (yaml["backbone"]?.array ?? []) + (yaml["head"]?.array ?? [])
        let modules = rows.compactMap { $0[2]?.string }
        if modules.contains("C2f") { return true }
        if let last = model["model"]?["_modules"]?.dict?.values.last,
           let cls = last.className, cls.hasPrefix("ultralytics.nn.modules.head.") {
            return last["_modules"]?["dfl"] != nil || last["reg_max"] != nil
        }
        return false
    }

    /// Builds the network from the yaml stored in an Ultralytics checkpoint (`ema` or else `model`) and loads
    /// its weights; class names from `model.names`.
    public static func load(_ checkpoint: Checkpoint, name: String) throws -> YOLOv8 {
        guard let model = checkpoint.model, let yaml = model["yaml"] else {
            throw ModelError.unsupportedCheckpoint("no pickled Ultralytics model with a 'yaml' config in this file")
        }
        let config = try YOLOConfig(yaml: yaml)
        let network = try YOLOv8Network(config: config, weights: checkpoint)
        // The strides Ultralytics measured when building (`model.stride`) must be the ones the layers give.
        if let stored = model["stride"]?.tensor, let values = try? checkpoint.tensor(stored, name: "stride").storage,
           values.map({ Int(exactly: $0) }) != network.head.strides.map({ Optional($0) }) {
            throw ModelError.malformedConfig("the checkpoint's stride \(values) differs from the network's \(network.head.strides)")
        }
        let task: ModelTask = network.head.maskCount > 0 ? .segment : .detect
        let info = ModelInfo(name: name, family: .yolov8, task: task,
                             classNames: classNames(model["names"], count: config.classCount),
                             stride: network.maxStride, defaults: defaults)
        return YOLOv8(info: info, network: network)
    }

    /// `model.names` ({int: str}; a list in older files). Non-string names (an int) print as Python's `str()`.
    static func classNames(_ value: PickleValue?, count: Int) -> [String] {
        var names = (0..<count).map { "class\($0)" }
        func text(_ v: PickleValue) -> String? { v.string ?? v.int.map(String.init) }
        if let dict = value?.dict {
            for (k, v) in dict.entries { if let i = k.int, names.indices.contains(i), let n = text(v) { names[i] = n } }
        } else if let list = value?.array {
            for (i, v) in list.prefix(count).enumerated() { if let n = text(v) { names[i] = n } }
        }
        return names
    }

    /// The network input for an image: Ultralytics' LetterBox (auto, stride, pad 114) at `imageSize` rounded up
    /// to a stride multiple (`check_imgsz`), as RGB / 255 in CHW.
    func preprocess(_ image: RGBImage, imageSize: Int) -> (input: Tensor, geometry: LetterboxGeometry) {
        let size = YOLOInput.strideMultiple(imageSize, stride: info.stride)
        return YOLOInput.letterboxed(image, shape: (size, size), auto: true, stride: info.stride)
    }

    public func detect(_ image: RGBImage, options: DetectOptions) throws -> DetectionOutput {
        let options = try options.resolved(info.defaults)
        var timings = StageTimings()
        var clock = Stopwatch()
        let (input, geometry) = preprocess(image, imageSize: options.imageSize)
        timings.preprocess = clock.lap()

        let head = try network(input)
        timings.inference = clock.lap()

        let detections = try YOLOv8Postprocess.detections(
            output: head.output, protos: head.protos, classCount: network.head.classCount, geometry: geometry,
            inputSize: (input.shape[3], input.shape[2]), original: (image.width, image.height),
            confidence: options.confidence, iou: options.iou, maxDetections: options.maxDetections,
            classes: options.classes, agnostic: options.agnosticNMS, classNames: info.classNames)
        timings.postprocess = clock.lap()
        return DetectionOutput(detections: detections, timings: timings)
    }
}
