#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgusDetection
import ArgusTensor

/// torchvision's MultiScaleRoIAlign (and the same level assignment with RoI Pool for Fast R-CNN mode): each box is pooled from one FPN level chosen by its size
/// (FPN paper eq. 1: k = floor(4 + log2(sqrt(area) / 224) + 1e-6), clamped to the available levels).
/// Level scales are inferred from the feature and (resized, unpadded) image heights, as torchvision does.
struct MultiScaleRoIAlign {
    let outputSize: Int
    let samplingRatio: Int
    let canonicalScale: Float = 224
    let canonicalLevel: Float = 4
    let eps: Float = 1e-6

    /// Pools `boxes` (resized-image pixels) from `features` (the FPN levels named "0", "1", ... in order,
    /// without "pool"): [K, C, outputSize, outputSize].
    func callAsFunction(_ features: [Tensor], boxes: [Box], imageSize: (Int, Int), mode: RoIPooling = .align) throws -> Tensor {
        let scales = features.map { Self.inferScale(featureHeight: $0.shape[2], imageHeight: imageSize.0) }
        let kMin = Int(-log2f(scales[0])), kMax = Int(-log2f(scales[scales.count - 1]))
        let channels = features[0].shape[1]
        if features.count == 1 || kMin == kMax {
            // torchvision pools everything from the first map when there is one level (also when several
            // maps share the same scale: the level mapper then sends every box to level 0).
            return try pool(features[0], boxes, scale: scales[0], mode: mode)
        }
        var byLevel = [[Int]](repeating: [], count: features.count)
        for (i, b) in boxes.enumerated() {
            let s = ((b.x2 - b.x1) * (b.y2 - b.y1)).squareRoot()
            var k = (canonicalLevel + log2f(s / canonicalScale) + eps).rounded(.down)
            k = min(max(k, Float(kMin)), Float(kMax))
            byLevel[Int(k) - kMin].append(i)
        }
        let per = channels * outputSize * outputSize
        var out = Tensor(zeros: [boxes.count, channels, outputSize, outputSize])
        for (level, members) in byLevel.enumerated() where !members.isEmpty {
            let pooled = try pool(features[level], members.map { boxes[$0] }, scale: scales[level], mode: mode)
            out.storage.withUnsafeMutableBufferPointer { o in
                pooled.storage.withUnsafeBufferPointer { p in
                    for (j, i) in members.enumerated() {
                        (o.baseAddress! + i * per).update(from: p.baseAddress! + j * per, count: per)
                    }
                }
            }
        }
        return out
    }

    private func pool(_ feature: Tensor, _ boxes: [Box], scale: Float, mode: RoIPooling) throws -> Tensor {
        switch mode {
        case .align:
            return try roiAlign(feature, rois: Self.rois(boxes), outputSize: (outputSize, outputSize),
                                spatialScale: scale, samplingRatio: samplingRatio, aligned: false)
        case .pool:
            return try roiPool(feature, rois: Self.rois(boxes), outputSize: (outputSize, outputSize), spatialScale: scale)
        }
    }

    /// 2^round(log2(feature / image)) in Float32, as torchvision's `_infer_scale` (height only).
    static func inferScale(featureHeight: Int, imageHeight: Int) -> Float {
        let approx = Float(Double(featureHeight) / Double(imageHeight))
        return powf(2, log2f(approx).rounded(.toNearestOrEven))
    }

    /// [K, 5] rows (batch 0, x1, y1, x2, y2).
    static func rois(_ boxes: [Box]) -> Tensor {
        var r = [Float]()
        r.reserveCapacity(boxes.count * 5)
        for b in boxes { r += [0, b.x1, b.y1, b.x2, b.y2] }
        return Tensor(shape: [boxes.count, 5], storage: r)
    }
}
