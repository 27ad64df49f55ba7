import ArgusDetection
import ArgusImage
import ArgusTensor
import Foundation

/// The steps around a YOLOX network that every way of running it shares (the `.pth` network and ONNX exports):
/// `preproc`, the grid decode of the head output and `yolox.utils.postprocess`.
///
/// Reference: Megvii-BaseDetection/YOLOX `yolox/data/data_augment.py` (preproc), `yolox/models/yolo_head.py`
/// (decode_outputs), `yolox/utils/boxes.py` (postprocess).
enum YOLOXPipeline {
    /// The strides of the three head levels (P3, P4, P5).
    static let strides = [8, 16, 32]

    /// The demo's score threshold (`--conf 0.3`) and the ONNX demo's NMS IoU (0.45); YOLOX has no
    /// detection cap, so Argus's usual 1000 bounds a response.
    static func defaults(size: Int) -> DetectDefaults {
        DetectDefaults(confidence: 0.3, iou: 0.45, maxDetections: 1000, imageSize: size)
    }

    /// The head's row count for an input: the 8/16/32 grids, row-major, one after another.
    static func rowCount(width: Int, height: Int) -> Int {
        strides.reduce(0) { $0 + (height / $1) * (width / $1) }
    }

    /// `preproc`: resize by `r = min(H/h, W/w)` to truncated sizes (bilinear), pasted top-left on a 114 canvas,
    /// BGR planes, 0..255 (no normalisation). Returns the [1, 3, H, W] tensor and `r`.
    static func preprocess(_ image: RGBImage, width: Int, height: Int) -> (Tensor, Float) {
        let r = min(Double(height) / Double(image.height), Double(width) / Double(image.width))
        let w = max(1, Int(Double(image.width) * r)), h = max(1, Int(Double(image.height) * r))
        let resized = (w == image.width && h == image.height) ? image
            : resizeBilinear(image, width: w, height: h, split: EngineSplit.rows)
        let canvas = pad(resized, top: 0, bottom: height - h, left: 0, right: width - w, color: (114, 114, 114))
        let chw = toCHWFloat(canvas, divisor: 1, bgr: true, split: EngineSplit.pixels)
        return (Tensor(shape: [1, 3, height, width], storage: chw), Float(r))
    }

    /// `decode_outputs` in place on [rows x (5 + classes)] values: xy = (t + grid) * stride, wh = exp(t) * stride
    /// (grid x, y integers, no 0.5 offset), in Float32; objectness and class scores pass through.
    static func decode(_ values: inout [Float], columns: Int, width: Int, height: Int) {
        values.withUnsafeMutableBufferPointer { v in
            var row = 0
            for stride in strides {
                let s = Float(stride), nx = width / stride, ny = height / stride
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
    }

    /// `yolox.utils.postprocess` on decoded rows (class = argmax of the class scores, score = obj x that score
    /// >= conf, class-aware torchvision NMS unless agnostic), boxes then divided by the preprocessing ratio and
    /// not clipped.
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
        // YOLOX's postprocess: torchvision.ops.nms when agnostic, else batched_nms with its CPU switch to per-class
        // NMS above 1000 candidates (the offset trick below can keep different boxes).
        let keep = agnostic
            ? batchedNMS(boxes: sorted.boxes, scores: sorted.scores, classIds: sorted.ids, iouThreshold: iou, separation: .agnostic)
            : torchvisionBatchedNMS(boxes: sorted.boxes, scores: sorted.scores, groups: sorted.ids, iouThreshold: iou,
                                    split: EngineSplit.items)
        return keep.prefix(maxDetections).map { i in
            let b = sorted.boxes[i]
            return Detection(box: Box(x1: b.x1 / ratio, y1: b.y1 / ratio, x2: b.x2 / ratio, y2: b.y2 / ratio),
                             score: sorted.scores[i], classId: sorted.ids[i], label: classNames[sorted.ids[i]])
        }
    }

    /// Class names for a YOLOX model: given ones when they fit, else COCO's 80 for an 80-class model (YOLOX's own
    /// checkpoints and exports carry no names), else `class0`, `class1`, ...
    static func classNames(_ given: [String]?, count: Int) -> [String] {
        if let given, given.count == count { return given }
        if count == 80 { return COCOCategories.names80 }
        return (0..<count).map { "class\($0)" }
    }
}
