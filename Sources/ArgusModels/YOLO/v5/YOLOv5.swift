import ArgusDetection
import ArgusImage
import ArgusTensor
import ArgusWeights
import Foundation

/// YOLOv5 (anchor-based single stage), as the reference `ultralytics/yolov5` `detect.py` runs it:
/// letterbox with minimal padding, forward, class-aware NMS, boxes scaled back by `scale_boxes`.
///
/// Reference: ultralytics/yolov5 v7.0 `models/yolo.py`, `utils/augmentations.py` (letterbox),
/// `utils/general.py` (non_max_suppression, scale_boxes). Defaults: conf 0.25, iou 0.45, max_det 1000, imgsz 640.
public struct YOLOv5: Detector {
    public let info: ModelInfo
    let network: YOLOv5Network

    /// YOLOv5's NMS keeps at most this many candidates (`max_nms`) and shifts classes by `max_wh`.
    static let maxNMSCandidates = 30_000
    static let classOffset: Float = 7680

    public static let defaults = DetectDefaults(confidence: 0.25, iou: 0.45, maxDetections: 1000, imageSize: 640)

    /// Builds the network from the yaml stored in a YOLOv5 checkpoint and loads its weights.
    public static func load(_ checkpoint: Checkpoint, name: String) throws -> YOLOv5 {
        guard let model = checkpoint.model, let yaml = model["yaml"] else {
            throw ModelError.unsupportedCheckpoint("no pickled YOLOv5 model with a 'yaml' config in this file")
        }
        let config = try YOLOConfig(yaml: yaml)
        let network = try YOLOv5Network(config: config, weights: checkpoint)
        let names = classNames(model["names"], count: config.classCount)
        let info = ModelInfo(name: name, family: .yolov5, task: .detect, classNames: names,
                             stride: network.maxStride, defaults: defaults)
        return YOLOv5(info: info, network: network)
    }

    /// `model.names` is a list in YOLOv5 and a {index: name} dict in later Ultralytics code.
    static func classNames(_ value: PickleValue?, count: Int) -> [String] {
        var names = (0..<count).map { "class\($0)" }
        if let list = value?.strings {
            for (i, n) in list.prefix(count).enumerated() { names[i] = n }
        } else if let dict = value?.dict {
            for (k, v) in dict.entries { if let i = k.int, names.indices.contains(i), let n = v.string { names[i] = n } }
        }
        return names
    }

    public func detect(_ image: RGBImage, options: DetectOptions) throws -> DetectionOutput {
        let options = try options.resolved(info.defaults)
        var timings = StageTimings()
        var clock = Stopwatch()

        // check_img_size: round the requested size up to a multiple of the largest stride.
        let size = YOLOInput.strideMultiple(options.imageSize, stride: info.stride)
        let (input, _) = YOLOInput.letterboxed(image, shape: (size, size), auto: true, stride: info.stride)
        timings.preprocess = clock.lap()

        let raw = try network(input, objectnessAbove: options.confidence)
        timings.inference = clock.lap()

        let candidates = Self.nonMaxSuppression(
            raw.values, rows: raw.rows, classCount: network.detect.classCount,
            confidence: options.confidence, iou: options.iou, maxDetections: options.maxDetections,
            classes: options.classes, agnostic: options.agnosticNMS)
        let detections = candidates.map { c in
            Detection(box: Self.scaleBox(c.box, input: (input.shape[3], input.shape[2]),
                                         original: (image.width, image.height)),
                      score: c.score, classId: c.classId, label: info.classNames[c.classId])
        }
        timings.postprocess = clock.lap()
        return DetectionOutput(detections: detections, timings: timings)
    }

    /// A detection in network-input pixels, before scaling back.
    struct Candidate {
        var box: Box
        var score: Float
        var classId: Int
    }

    /// YOLOv5's `non_max_suppression` with `multi_label=False`: objectness filter, score = obj * cls of
    /// the best class, score filter (both strict `>`), sort, class offsets, torchvision NMS, first `max_det`.
    static func nonMaxSuppression(_ values: [Float], rows: Int, classCount: Int, confidence: Float, iou: Double,
                                  maxDetections: Int, classes: Set<Int>?, agnostic: Bool) -> [Candidate] {
        let width = classCount + 5
        var candidates: [Candidate] = []
        values.withUnsafeBufferPointer { v in
            for r in 0..<rows {
                let row = v.baseAddress! + r * width
                let objectness = row[4]
                guard objectness > confidence else { continue }
                var best = 0
                var bestScore = row[5] * objectness
                for c in 1..<max(classCount, 1) {
                    let s = row[5 + c] * objectness
                    if s > bestScore { bestScore = s; best = c }
                }
                guard bestScore > confidence else { continue }
                if let classes, !classes.contains(best) { continue }
                candidates.append(Candidate(box: Box(cx: row[0], cy: row[1], w: row[2], h: row[3]),
                                            score: bestScore, classId: best))
            }
        }
        if candidates.isEmpty { return [] }
        let order = stableOrderDescending(candidates.map(\.score)).prefix(maxNMSCandidates)
        let sorted = order.map { candidates[$0] }
        let keep = batchedNMS(boxes: sorted.map(\.box), scores: sorted.map(\.score), classIds: sorted.map(\.classId),
                              iouThreshold: iou, separation: agnostic ? .agnostic : .offsetPerClass(classOffset))
        return keep.prefix(maxDetections).map { sorted[$0] }
    }

    /// YOLOv5's `scale_boxes`: undo the letterbox with the unrounded gain and half-padding
    /// (computed in Double, applied in Float32 as torch does), then clip to the image.
    static func scaleBox(_ box: Box, input: (width: Int, height: Int), original: (width: Int, height: Int)) -> Box {
        let gain = min(Double(input.height) / Double(original.height), Double(input.width) / Double(original.width))
        let padX = Float((Double(input.width) - Double(original.width) * gain) / 2)
        let padY = Float((Double(input.height) - Double(original.height) * gain) / 2)
        let g = Float(gain)
        let b = Box(x1: (box.x1 - padX) / g, y1: (box.y1 - padY) / g, x2: (box.x2 - padX) / g, y2: (box.y2 - padY) / g)
        return b.clipped(width: Float(original.width), height: Float(original.height))
    }
}
