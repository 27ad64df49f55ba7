import ArgusDetection
import ArgusImage
import ArgusONNX
import ArgusTensor
import Foundation

/// A YOLOX ONNX export (Nano/Tiny/S/..., any class count), run as YOLOX's own code does:
/// `preproc` (resize by `min(H/h, W/w)` with truncated sizes, pasted top-left on a 114 canvas, BGR, 0..255,
/// no normalisation), the graph, the grid decode and `yolox.utils.postprocess` (score = obj x best class
/// score >= conf, class-aware torchvision NMS unless agnostic), boxes divided by the ratio and not clipped.
///
/// Reference: Megvii-BaseDetection/YOLOX `yolox/data/data_augment.py` (preproc), `yolox/models/yolo_head.py`
/// (decode_outputs), `yolox/utils/boxes.py` (postprocess), `demo/ONNXRuntime/onnx_inference.py`.
public struct YOLOXONNX: Detector {
    public let info: ModelInfo
    let graph: ONNXModel
    let inputName: String
    let inputWidth: Int, inputHeight: Int
    let classCount: Int
    /// Exported with `decode_in_inference`: rows are already (cx, cy, w, h) in input pixels.
    let decoded: Bool
    static let strides = [8, 16, 32]

    /// The demo's score threshold (`--conf 0.3`) and the ONNX demo's NMS IoU (0.45); YOLOX has no
    /// detection cap, so Argus's usual 1000 bounds a response.
    static func defaults(size: Int) -> DetectDefaults {
        DetectDefaults(confidence: 0.3, iou: 0.45, maxDetections: 1000, imageSize: size)
    }

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
        let rows = strides.reduce(0) { $0 + (h / $1) * (w / $1) }
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
        let names: [String]
        if let classNames, classNames.count == g.classes {
            names = classNames
        } else if g.classes == 80 {
            names = COCOCategories.names80
        } else {
            names = (0..<g.classes).map { "class\($0)" }
        }
        let info = ModelInfo(name: name, family: "yolox", task: .detect, classNames: names, stride: 32,
                             defaults: defaults(size: max(g.width, g.height)))
        return YOLOXONNX(info: info, graph: graph, inputName: g.input, inputWidth: g.width, inputHeight: g.height,
                         classCount: g.classes, decoded: graph.operatorTypes.contains("Exp"))
    }

    public func detect(_ image: RGBImage, options: DetectOptions) throws -> DetectionOutput {
        let options = try options.validated()
        if let size = options.imageSize, size != max(inputWidth, inputHeight) {
            throw ModelError.invalidOption("imgsz: this ONNX model has a fixed \(inputWidth)x\(inputHeight) input; "
                + "omit imgsz or pass \(max(inputWidth, inputHeight))")
        }
        var timings = StageTimings()
        var clock = Stopwatch()
        let (input, ratio) = preprocess(image)
        timings.preprocess = clock.lap()
        guard let output = try graph.run([inputName: input]).values.first else {
            throw ModelError.malformedConfig("the YOLOX graph produced no output")
        }
        timings.inference = clock.lap()
        let rows = try decode(output)
        let detections = Self.postprocess(rows, classCount: classCount, ratio: ratio,
                                          confidence: options.confidence ?? info.defaults.confidence,
                                          iou: options.iou ?? info.defaults.iou,
                                          maxDetections: options.maxDetections ?? info.defaults.maxDetections,
                                          classes: options.classes, agnostic: options.agnosticNMS,
                                          classNames: info.classNames)
        timings.postprocess = clock.lap()
        return DetectionOutput(detections: detections, timings: timings)
    }

    /// YOLOX `preproc`: returns the [1, 3, H, W] BGR 0..255 tensor and the resize ratio.
    func preprocess(_ image: RGBImage) -> (Tensor, Float) {
        let r = min(Double(inputHeight) / Double(image.height), Double(inputWidth) / Double(image.width))
        let w = max(1, Int(Double(image.width) * r)), h = max(1, Int(Double(image.height) * r))
        let resized = (w == image.width && h == image.height) ? image : resizeBilinear(image, width: w, height: h)
        let canvas = pad(resized, top: 0, bottom: inputHeight - h, left: 0, right: inputWidth - w,
                         color: (114, 114, 114))
        var chw = toCHWFloat(canvas, divisor: 1)
        let plane = inputWidth * inputHeight
        chw.withUnsafeMutableBufferPointer { p in
            for i in 0..<plane { p.swapAt(i, 2 * plane + i) }  // RGB -> BGR planes
        }
        return (Tensor(shape: [1, 3, inputHeight, inputWidth], storage: chw), Float(r))
    }

    /// `decode_outputs`: rows (level, y, x) with xy = (t + grid) * stride and wh = exp(t) * stride, in
    /// Float32; objectness and class scores pass through (the export already applied the sigmoid).
    func decode(_ output: Tensor) throws -> [Float] {
        let columns = classCount + 5
        let rows = Self.strides.reduce(0) { $0 + (inputHeight / $1) * (inputWidth / $1) }
        guard output.shape == [1, rows, columns] else {
            throw ModelError.malformedConfig("YOLOX output has shape \(output.shape), expected [1, \(rows), \(columns)]")
        }
        var values = output.storage
        if decoded { return values }
        values.withUnsafeMutableBufferPointer { v in
            var row = 0
            for stride in Self.strides {
                let s = Float(stride), nx = inputWidth / stride, ny = inputHeight / stride
                for gy in 0..<ny {
                    for gx in 0..<nx {
                        let p = v.baseAddress! + row * columns
                        p[0] = (p[0] + Float(gx)) * s
                        p[1] = (p[1] + Float(gy)) * s
                        p[2] = expf(p[2]) * s
                        p[3] = expf(p[3]) * s
                        row += 1
                    }
                }
            }
        }
        return values
    }

    /// `yolox.utils.postprocess` on decoded rows, boxes then divided by the preprocessing ratio.
    static func postprocess(_ values: [Float], classCount: Int, ratio: Float, confidence: Float, iou: Double,
                            maxDetections: Int, classes: Set<Int>?, agnostic: Bool,
                            classNames: [String]) -> [Detection] {
        let columns = classCount + 5
        var boxes: [Box] = [], scores: [Float] = [], ids: [Int] = []
        values.withUnsafeBufferPointer { v in
            for r in 0..<(v.count / columns) {
                let p = v.baseAddress! + r * columns
                var best = 0
                var bestScore = p[5]
                for c in 1..<max(classCount, 1) where p[5 + c] > bestScore { bestScore = p[5 + c]; best = c }
                let score = p[4] * bestScore
                guard score >= confidence else { continue }
                if let classes, !classes.contains(best) { continue }
                let halfW = p[2] / 2, halfH = p[3] / 2
                boxes.append(Box(x1: p[0] - halfW, y1: p[1] - halfH, x2: p[0] + halfW, y2: p[1] + halfH))
                scores.append(score)
                ids.append(best)
            }
        }
        let order = stableOrderDescending(scores)
        let sorted = (boxes: order.map { boxes[$0] }, scores: order.map { scores[$0] }, ids: order.map { ids[$0] })
        let keep = batchedNMS(boxes: sorted.boxes, scores: sorted.scores, classIds: sorted.ids, iouThreshold: iou,
                              separation: agnostic ? .agnostic : .torchvision)
        return keep.prefix(maxDetections).map { i in
            let b = sorted.boxes[i]
            return Detection(box: Box(x1: b.x1 / ratio, y1: b.y1 / ratio, x2: b.x2 / ratio, y2: b.y2 / ratio),
                             score: sorted.scores[i], classId: sorted.ids[i], label: classNames[sorted.ids[i]])
        }
    }
}
