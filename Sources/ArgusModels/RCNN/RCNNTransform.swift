import ArgusImage
import ArgusTensor

/// torchvision's GeneralizedRCNNTransform at inference: normalize, resize so the short side is `minSize`
/// (unless the long side would pass `maxSize`), then zero-pad to a multiple of `sizeDivisible`.
struct RCNNTransform {
    let minSize: Int
    let maxSize: Int
    let mean: [Float]
    let std: [Float]
    let sizeDivisible: Int

    struct Output {
        /// [1, 3, H, W], padded.
        let batch: Tensor
        /// The resized image before padding: (height, width).
        let imageSize: (Int, Int)
    }

    /// The resized (height, width) for an image: torchvision (eager mode) computes
    /// `min(min_size / short, max_size / long)` and `int(side * scale)` in Python floats (Double).
    func resizedSize(height: Int, width: Int) -> (Int, Int) {
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
