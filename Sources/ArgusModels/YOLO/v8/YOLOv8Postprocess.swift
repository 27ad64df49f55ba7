import ArgusDetection
import ArgusImage
import ArgusMask
import ArgusTensor

/// Ultralytics 8 `predict` postprocessing, independent of where the head output came from (the PyTorch
/// network here, or an ONNX export's `output0` / `output1`, which have the same layout).
///
/// Reference: ultralytics 8.4.190 `utils/nms.py` non_max_suppression, `utils/ops.py` scale_boxes / clip_boxes,
/// `models/yolo/{detect,segment}/predict.py` (masks: see `YOLOv8Masks`; with masks, detections whose mask is
/// empty are dropped, as `construct_result` does).
enum YOLOv8Postprocess {
    /// `max_nms`: candidates kept (best scores) before NMS.
    static let maxNMSCandidates = 30_000
    /// `max_wh`: per-class box offset for class-aware NMS.
    static let classOffset: Float = 7680

    /// A box surviving NMS, in network-input pixels.
    struct Candidate {
        var box: Box
        var score: Float
        var classId: Int
        /// Column of the head output it came from (for its mask coefficients).
        var anchor: Int
    }

    /// Detections in original-image pixels from a head output.
    /// - Parameters:
    ///   - output: `[1, 4 + nc + nm, anchors]`: xywh in input pixels, class scores (after the sigmoid), mask coefficients.
    ///   - protos: `[1, nm, mh, mw]` mask prototypes, or nil (then no masks, even if coefficients are present).
    ///   - geometry: how the image was letterboxed into the input (checked to fit `inputSize`). Boxes are mapped
    ///     back as `scale_boxes` does, from the shapes alone: it recomputes the letterbox, which can differ from
    ///     the real one by a pixel of rounding (640x513 at imgsz 320: letterboxed to 320x256, scale_boxes assumes
    ///     319x256), and matching Ultralytics means doing the same.
    ///   - inputSize: the network input.
    ///   - original: the image's size.
    static func detections(output: Tensor, protos: Tensor?, classCount: Int, geometry: LetterboxGeometry,
                           inputSize: (width: Int, height: Int), original: (width: Int, height: Int),
                           confidence: Float, iou: Double, maxDetections: Int, classes: Set<Int>?, agnostic: Bool,
                           classNames: [String]) throws -> [Detection] {
        guard output.rank == 3, output.shape[0] == 1, output.shape[1] >= 4 + classCount, classCount >= 1 else {
            throw ModelError.malformedConfig("YOLOv8 output must be [1, 4 + \(classCount) + nm, anchors], got \(output.shape)")
        }
        let maskCount = output.shape[1] - 4 - classCount
        if let protos {
            guard protos.rank == 4, protos.shape[0] == 1, protos.shape[1] == maskCount, maskCount > 0,
                  protos.shape[2] >= 1, protos.shape[3] >= 1 else {
                throw ModelError.malformedConfig("YOLOv8 protos must be [1, \(maskCount), mh, mw], got \(protos.shape)")
            }
        }
        guard original.width >= 1, original.height >= 1,
              geometry.left + geometry.resizedWidth + geometry.right == inputSize.width,
              geometry.top + geometry.resizedHeight + geometry.bottom == inputSize.height else {
            throw ModelError.invalidOption("letterbox geometry does not fit the \(inputSize.width)x\(inputSize.height) input")
        }
        let kept = candidates(output: output, classCount: classCount, confidence: confidence, iou: iou,
                              maxDetections: maxDetections, classes: classes, agnostic: agnostic)
        let boxes = kept.map { scaleBox($0.box, input: inputSize, original: original) }
        var masks: [RLE?] = Array(repeating: nil, count: kept.count)
        if let protos, !kept.isEmpty {
            let anchors = output.shape[2]
            let coefficients: [Float] = output.storage.withUnsafeBufferPointer { o in
                var c = [Float](repeating: 0, count: kept.count * maskCount)
                for (i, k) in kept.enumerated() {
                    for m in 0..<maskCount { c[i * maskCount + m] = o[(4 + classCount + m) * anchors + k.anchor] }
                }
                return c
            }
            masks = try YOLOv8Masks.masks(coefficients: coefficients, protos: protos, boxes: boxes, original: original)
        }
        // segment/predict.py construct_result keeps only predictions whose mask has a pixel set.
        return kept.indices.compactMap { i in
            if protos != nil, let mask = masks[i], mask.area == 0 { return nil }
            let c = kept[i].classId
            return Detection(box: boxes[i], score: kept[i].score, classId: c,
                             label: classNames.indices.contains(c) ? classNames[c] : "class\(c)", mask: masks[i])
        }
    }

    /// `non_max_suppression` with `multi_label=False`: candidates whose best class score is > conf (strict),
    /// best class (first on ties), optional class filter, the 30000 best, class offsets (or none when
    /// agnostic), torchvision NMS, first `maxDetections`. Boxes stay in input pixels.
    static func candidates(output: Tensor, classCount nc: Int, confidence: Float, iou: Double, maxDetections: Int,
                           classes: Set<Int>?, agnostic: Bool) -> [Candidate] {
        let anchors = output.shape[2]
        var found: [Candidate] = []
        output.storage.withUnsafeBufferPointer { o in
            let scores = o.baseAddress! + 4 * anchors
            for a in 0..<anchors {
                var best = 0
                var bestScore = scores[a]
                for c in 1..<max(nc, 1) where scores[c * anchors + a] > bestScore {
                    bestScore = scores[c * anchors + a]; best = c
                }
                // NaN never passes (`>` is false), as in torch.
                guard bestScore > confidence else { continue }
                if let classes, !classes.contains(best) { continue }
                let box = Box(cx: o[a], cy: o[anchors + a], w: o[2 * anchors + a], h: o[3 * anchors + a])
                found.append(Candidate(box: box, score: bestScore, classId: best, anchor: a))
            }
        }
        if found.isEmpty { return [] }
        if found.count > maxNMSCandidates {
            found = stableOrderDescending(found.map(\.score)).prefix(maxNMSCandidates).map { found[$0] }
        }
        let keep = batchedNMS(boxes: found.map(\.box), scores: found.map(\.score), classIds: found.map(\.classId),
                              iouThreshold: iou, separation: agnostic ? .agnostic : .offsetPerClass(classOffset))
        return keep.prefix(maxDetections).map { found[$0] }
    }

    /// `scale_boxes` + `clip_boxes` (ratio_pad None): gain = min(H / h0, W / w0), rounded content size
    /// new = max(round(side * gain), 1) (half-even), per-axis gains new / side, border round((W - new_w) / 2 - 0.1);
    /// subtract the border, divide by the gain (Float32, as torch applies Python scalars to a float tensor), clip.
    static func scaleBox(_ box: Box, input: (width: Int, height: Int), original: (width: Int, height: Int)) -> Box {
        let gain = min(Double(input.height) / Double(original.height), Double(input.width) / Double(original.width))
        let newW = max(Int((Double(original.width) * gain).rounded(.toNearestOrEven)), 1)
        let newH = max(Int((Double(original.height) * gain).rounded(.toNearestOrEven)), 1)
        let gainX = Float(Double(newW) / Double(original.width)), gainY = Float(Double(newH) / Double(original.height))
        let padX = Float((Double(input.width - newW) / 2 - 0.1).rounded(.toNearestOrEven))
        let padY = Float((Double(input.height - newH) / 2 - 0.1).rounded(.toNearestOrEven))
        let b = Box(x1: (box.x1 - padX) / gainX, y1: (box.y1 - padY) / gainY,
                    x2: (box.x2 - padX) / gainX, y2: (box.y2 - padY) / gainY)
        return b.clipped(width: Float(original.width), height: Float(original.height))
    }
}
