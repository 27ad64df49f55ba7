import ArgusDetection
import ArgusImage
import ArgusONNX
import ArgusTensor

/// An Ultralytics YOLOv8-family ONNX export (`model.export(format="onnx")`, float or quantized, any class
/// count; task detect or segment), run as Ultralytics' own ONNX path (`YOLO("file.onnx").predict`, AutoBackend):
/// a fixed-size export gets the full square letterbox (`LetterBox(imgsz, auto=False)`), a dynamic one the
/// minimal rectangle; then the same NMS, box scaling and retina masks as the PyTorch checkpoints
/// (`YOLOv8Postprocess`). The box decode is inside the exported graph.
///
/// What the graph cannot tell comes from its metadata: `names` (a Python dict literal), `imgsz`, `stride`, `task`.
public struct UltralyticsONNX: Detector, GraphProfiling {
    public let info: ModelInfo
    let graph: ONNXModel
    let inputName: String
    /// The export's fixed input size; nil for a dynamic export.
    let fixedSize: (width: Int, height: Int)?
    let classCount: Int

    /// Ultralytics `predict` defaults (as for the PyTorch checkpoints).
    static func defaults(size: Int) -> DetectDefaults {
        DetectDefaults(confidence: 0.25, iou: 0.7, maxDetections: 300, imageSize: size)
    }

    /// An Ultralytics export names its author and task in the metadata.
    static func recognizes(_ graph: ONNXModel) -> Bool {
        graph.metadata["author"]?.contains("Ultralytics") == true || (graph.metadata["task"] != nil && graph.metadata["names"] != nil)
    }

    static func load(_ graph: ONNXModel, name: String) throws -> UltralyticsONNX {
        let meta = graph.metadata
        func literal(_ key: String) throws -> PythonLiteral? {
            guard let text = meta[key] else { return nil }
            do { return try PythonLiteral.parse(text) } catch {
                throw ModelError.unsupportedCheckpoint("ONNX metadata '\(key)' is not a Python literal: \(error)")
            }
        }
        let task: ModelTask
        switch meta["task"] ?? "detect" {
        case "detect": task = .detect
        case "segment": task = .segment
        case let other:
            throw ModelError.unsupportedCheckpoint("this Ultralytics export is a '\(other)' model; Argus runs detect and segment")
        }
        let exportArgs = try literal("args")
        if meta["end2end"] == "True" || exportArgs?.dictValue("nms") == .bool(true) {
            throw ModelError.unsupportedCheckpoint("this export has NMS inside the graph (end2end / nms=True); "
                + "export it with nms=False so Argus runs Ultralytics' NMS")
        }
        guard graph.inputs.count == 1, graph.inputs[0].shape.count == 4, graph.inputs[0].shape[1] == 3,
              graph.inputs[0].elementType == "FLOAT" else {
            throw ModelError.unsupportedCheckpoint("expected one FLOAT image input [1, 3, H, W], got "
                + graph.inputs.map { "\($0.name) \($0.elementType) \($0.shape.map { $0.map(String.init) ?? "?" })" }.joined(separator: ", "))
        }
        let input = graph.inputs[0]
        let expectedOutputs = task == .segment ? 2 : 1
        guard graph.outputs.count == expectedOutputs else {
            throw ModelError.unsupportedCheckpoint("a \(task.rawValue) export has \(expectedOutputs) output(s); this one has \(graph.outputs.count)")
        }
        let channels = graph.outputs[0].shape.count == 3 ? graph.outputs[0].shape[1] : nil
        guard let channels, channels > 4 else {
            throw ModelError.unsupportedCheckpoint("output0 must be [1, 4 + classes (+ mask coefficients), anchors]")
        }
        var maskCount = 0
        if task == .segment {
            guard graph.outputs[1].shape.count == 4, let nm = graph.outputs[1].shape[1], nm > 0 else {
                throw ModelError.unsupportedCheckpoint("output1 (protos) must be [1, masks, H/4, W/4]")
            }
            maskCount = nm
        }
        let classCount = channels - 4 - maskCount
        guard classCount >= 1 else { throw ModelError.unsupportedCheckpoint("output0 has no class channels") }
        var names = (try literal("names"))?.classNames ?? []
        if names.count != classCount {
            names = classCount == 80 ? COCOCategories.names80 : (0..<classCount).map { "class\($0)" }
        }
        let stride = (try literal("stride"))?.ints?.max() ?? 32
        let fixed: (width: Int, height: Int)?
        if let h = input.shape[2], let w = input.shape[3], h > 0, w > 0 { fixed = (w, h) } else { fixed = nil }
        let metaSize = (try literal("imgsz"))?.ints?.max()
        let size = fixed.map { max($0.width, $0.height) } ?? metaSize ?? 640
        let info = ModelInfo(name: name, family: .yolov8, task: task, classNames: names, stride: max(stride, 1),
                             defaults: defaults(size: size))
        return UltralyticsONNX(info: info, graph: graph, inputName: input.name, fixedSize: fixed, classCount: classCount)
    }

    /// The letterboxed input: the full square for a fixed-size export, else up to a stride multiple.
    func networkInput(_ image: RGBImage, imageSize: Int) throws -> (Tensor, LetterboxGeometry) {
        if let fixed = fixedSize {
            try ONNXFixedInput.check(imageSize, width: fixed.width, height: fixed.height)
            return YOLOInput.letterboxed(image, shape: (fixed.height, fixed.width), auto: false, stride: info.stride)
        }
        let size = YOLOInput.strideMultiple(imageSize, stride: info.stride)
        return YOLOInput.letterboxed(image, shape: (size, size), auto: true, stride: info.stride)
    }

    public func profileGraph(_ image: RGBImage, options: DetectOptions, runs: Int) throws -> [OperatorTiming] {
        let (input, _) = try networkInput(image, imageSize: try options.resolved(info.defaults).imageSize)
        return try graph.profile([inputName: input], runs: runs)
    }

    public func detect(_ image: RGBImage, options: DetectOptions) throws -> DetectionOutput {
        let options = try options.resolved(info.defaults)
        var timings = StageTimings()
        var clock = Stopwatch()
        let (input, geometry) = try networkInput(image, imageSize: options.imageSize)
        timings.preprocess = clock.lap()

        let outputs = try graph.run([inputName: input])
        guard let prediction = outputs[graph.outputs[0].name] else {
            throw ModelError.malformedConfig("the graph produced no \(graph.outputs[0].name)")
        }
        let protos = info.task == .segment ? outputs[graph.outputs[1].name] : nil
        timings.inference = clock.lap()

        let detections = try YOLOv8Postprocess.detections(
            output: prediction, protos: protos, classCount: classCount, geometry: geometry,
            inputSize: (input.shape[3], input.shape[2]), original: (image.width, image.height),
            confidence: options.confidence, iou: options.iou, maxDetections: options.maxDetections, classes: options.classes,
            agnostic: options.agnosticNMS, classNames: info.classNames)
        timings.postprocess = clock.lap()
        return DetectionOutput(detections: detections, timings: timings)
    }
}

extension PythonLiteral {
    /// The value under a string key of a dict literal.
    func dictValue(_ key: String) -> PythonLiteral? {
        guard case .dict(let entries) = self else { return nil }
        return entries.first { $0.0 == .string(key) }?.1
    }
}
