import ArgusDetection
import ArgusImage
import ArgusTensor

/// torchvision's GeneralizedRCNNTransform at inference: normalize, resize so the short side is `minSize`
/// (unless the long side would pass `maxSize`) or to `fixedSize`, then zero-pad to a multiple of `sizeDivisible`.
/// The R-CNNs and RetinaNet use it as is, SSD with a fixed size.
struct RCNNTransform {
    let minSize: Int
    let maxSize: Int
    let mean: [Float]
    let std: [Float]
    let sizeDivisible: Int
    /// torchvision's `fixed_size` as (height, width): every image is resized to it, its aspect not kept.
    var fixedSize: (Int, Int)? = nil

    struct Output {
        /// [1, 3, H, W], padded.
        let batch: Tensor
        /// The resized image before padding: (height, width).
        let imageSize: (Int, Int)
    }

    /// The resized (height, width) for an image: torchvision (eager mode) computes
    /// `min(min_size / short, max_size / long)` and `int(side * scale)` in Python floats (Double).
    func resizedSize(height: Int, width: Int) -> (Int, Int) {
        if let fixedSize { return fixedSize }
        let short = Double(min(height, width)), long = Double(max(height, width))
        let scale = min(Double(minSize) / short, Double(maxSize) / long)
        return (max(1, Int((Double(height) * scale).rounded(.down))), max(1, Int((Double(width) * scale).rounded(.down))))
    }

    func callAsFunction(_ image: RGBImage) throws -> Output {
        let normalized = Tensor(shape: [1, 3, image.height, image.width],
                                storage: toCHWFloat(image, divisor: 255, mean: mean, std: std, split: EngineSplit.pixels))
        let size = resizedSize(height: image.height, width: image.width)
        let resized = try interpolateBilinear(normalized, size: size, alignCorners: false)
        let d = sizeDivisible
        let padded = ((size.0 + d - 1) / d * d, (size.1 + d - 1) / d * d)
        return Output(batch: pad(resized, to: padded), imageSize: size)
    }

    /// The transform for `imgsz` as Argus reads it for short-side models: min_size = imgsz, and max_size scaled by
    /// the same factor (nil, or the own min_size: this transform).
    func scaled(shortSide size: Int?) -> RCNNTransform {
        guard let size, size != minSize else { return self }
        let scaledMax = Int((Double(maxSize) * Double(size) / Double(minSize)).rounded(.up))
        return RCNNTransform(minSize: size, maxSize: scaledMax, mean: mean, std: std, sizeDivisible: sizeDivisible)
    }

    /// torchvision's transform.postprocess (resize_boxes): scale by original / resized size, per axis, in Float32.
    static func rescale(_ box: Box, from resized: (Int, Int), to original: (Int, Int)) -> Box {
        let ry = Float(original.0) / Float(resized.0), rx = Float(original.1) / Float(resized.1)
        return Box(x1: box.x1 * rx, y1: box.y1 * ry, x2: box.x2 * rx, y2: box.y2 * ry)
    }

    /// The final candidates of a detector through `rescale`, labelled by `classNames` ("class<i>" past its end).
    static func detections(_ candidates: [BoxPostprocess.Candidate], from resized: (Int, Int), to original: (Int, Int),
                           classNames: [String]) -> [Detection] {
        candidates.map { c in
            Detection(box: rescale(c.box, from: resized, to: original), score: c.score, classId: c.label,
                      label: classNames.indices.contains(c.label) ? classNames[c.label] : "class\(c.label)")
        }
    }

    /// Zero-pads [1, C, h, w] at the bottom and right to (H, W).
    private func pad(_ x: Tensor, to size: (Int, Int)) -> Tensor {
        let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3])
        if (h, w) == size { return x }
        var out = Tensor(zeros: [1, c, size.0, size.1])
        out.storage.withUnsafeMutableBufferPointer { o in
            x.storage.withUnsafeBufferPointer { s in
                for ch in 0..<c {
                    for y in 0..<h {
                        (o.baseAddress! + (ch * size.0 + y) * size.1).update(from: s.baseAddress! + (ch * h + y) * w, count: w)
                    }
                }
            }
        }
        return out
    }
}
