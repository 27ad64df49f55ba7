import ArgusDetection
import ArgusImage
import ArgusONNX
import ArgusTensor
import Foundation

/// A YOLOX ONNX export (Nano/Tiny/S/..., any class count), run as YOLOX's own code does: `YOLOXPipeline`'s
/// `preproc`, the graph, the grid decode and `yolox.utils.postprocess` (shared with the `.pth` path, `YOLOX`).
///
/// Reference: Megvii-BaseDetection/YOLOX `yolox/data/data_augment.py` (preproc), `yolox/models/yolo_head.py`
/// (decode_outputs), `yolox/utils/boxes.py` (postprocess), `demo/ONNXRuntime/onnx_inference.py`.
public struct YOLOXONNX: Detector, GraphProfiling {
    public let info: ModelInfo
    let graph: ONNXModel
    let inputName: String
    let inputWidth: Int, inputHeight: Int
    let classCount: Int
    /// Exported with `decode_in_inference`: rows are already (cx, cy, w, h) in input pixels.
    let decoded: Bool

    /// Recognises a YOLOX export: one image input [1, 3, H, W] with static H, W (multiples of 32) and one
    /// output [1, rows, 5 + classes] whose rows are the 8/16/32 grids.
    static func recognizes(_ graph: ONNXModel) -> Bool {
        (try? geometry(graph)) != nil
    }

    static func geometry(_ graph: ONNXModel) throws -> (input: String, width: Int, height: Int, classes: Int) {
        guard graph.inputs.count == 1, graph.outputs.count == 1 else {
            throw ModelError.unsupportedCheckpoint("a YOLOX export has one input and one output; this file has "
                + "\(graph.inputs.count) and \(graph.outputs.count)")
        }
        let input = graph.inputs[0], output = graph.outputs[0]
        guard input.shape.count == 4, input.shape[1] == 3, let h = input.shape[2], let w = input.shape[3],
              h > 0, w > 0, h % 32 == 0, w % 32 == 0 else {
            throw ModelError.unsupportedCheckpoint("YOLOX input must be [1, 3, H, W] with fixed H, W (multiples of 32), "
                + "got \(input.shape.map { $0.map(String.init) ?? "?" })")
        }
        let rows = YOLOXPipeline.rowCount(width: w, height: h)
        guard output.shape.count == 3, output.shape[1] == nil || output.shape[1] == rows,
              let columns = output.shape[2], columns > 5 else {
            throw ModelError.unsupportedCheckpoint("YOLOX output must be [1, \(rows), 5 + classes], "
                + "got \(output.shape.map { $0.map(String.init) ?? "?" })")
        }
        return (input.name, w, h, columns - 5)
    }

    /// Builds the detector; `classNames` from the file's metadata when it has them, else COCO's 80 for an
    /// 80-class model (YOLOX's own exports carry no names).
    static func load(_ graph: ONNXModel, name: String, classNames: [String]?) throws -> YOLOXONNX {
        let g = try geometry(graph)
        let names = YOLOXPipeline.classNames(classNames, count: g.classes)
        let info = ModelInfo(name: name, family: .yolox, task: .detect, classNames: names, stride: 32,
                             defaults: YOLOXPipeline.defaults(size: max(g.width, g.height)))
        return YOLOXONNX(info: info, graph: graph, inputName: g.input, inputWidth: g.width, inputHeight: g.height,
                         classCount: g.classes, decoded: graph.operatorTypes.contains("Exp"))
    }

    public func profileGraph(_ image: RGBImage, options: DetectOptions, runs: Int) throws -> [OperatorTiming] {
        try ONNXFixedInput.check(try options.resolved(info.defaults).imageSize, width: inputWidth, height: inputHeight)
        return try graph.profile([inputName: preprocess(image).0], runs: runs)
    }

    public func detect(_ image: RGBImage, options: DetectOptions) throws -> DetectionOutput {
        let options = try options.resolved(info.defaults)
        try ONNXFixedInput.check(options.imageSize, width: inputWidth, height: inputHeight)
        var timings = StageTimings()
        var clock = Stopwatch()
        let (input, ratio) = preprocess(image)
        timings.preprocess = clock.lap()
        guard let output = try graph.run([inputName: input]).values.first else {
            throw ModelError.malformedConfig("the YOLOX graph produced no output")
        }
        timings.inference = clock.lap()
        let rows = try decode(output)
        let detections = YOLOXPipeline.postprocess(rows, classCount: classCount, ratio: ratio,
                                                   confidence: options.confidence, iou: options.iou,
                                                   maxDetections: options.maxDetections, classes: options.classes,
                                                   agnostic: options.agnosticNMS, classNames: info.classNames)
        timings.postprocess = clock.lap()
        return DetectionOutput(detections: detections, timings: timings)
    }

    /// YOLOX `preproc` at this export's input size: the [1, 3, H, W] BGR 0..255 tensor and the resize ratio.
    func preprocess(_ image: RGBImage) -> (Tensor, Float) {
        YOLOXPipeline.preprocess(image, width: inputWidth, height: inputHeight)
    }

    /// `decode_outputs` (skipped when the export already decoded its rows).
    func decode(_ output: Tensor) throws -> [Float] {
        let columns = classCount + 5
        let rows = YOLOXPipeline.rowCount(width: inputWidth, height: inputHeight)
        guard output.shape == [1, rows, columns] else {
            throw ModelError.malformedConfig("YOLOX output has shape \(output.shape), expected [1, \(rows), \(columns)]")
        }
        var values = output.storage
        if !decoded { YOLOXPipeline.decode(&values, columns: columns, width: inputWidth, height: inputHeight) }
        return values
    }
}
