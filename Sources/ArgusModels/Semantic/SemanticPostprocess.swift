import ArgusMask
import ArgusTensor

/// Turns [1, C, H, W] logits into a label map.
enum SemanticPostprocess {
    /// torch.argmax over classes: the first maximal class on ties; a NaN counts as the maximum (its first one).
    static func argmax(_ logits: Tensor) -> LabelMap {
        let (c, h, w) = (logits.shape[1], logits.shape[2], logits.shape[3])
        let plane = h * w
        var labels = [UInt8](repeating: 0, count: plane)
        logits.storage.withUnsafeBufferPointer { src in
            var best = Array(src[0..<plane])
            best.withUnsafeMutableBufferPointer { b in
                labels.withUnsafeMutableBufferPointer { l in
                    for k in 1..<max(c, 1) {
                        let p = src.baseAddress! + k * plane
                        let label = UInt8(truncatingIfNeeded: k)
                        for i in 0..<plane where p[i] > b[i] || (p[i].isNaN && !b[i].isNaN) {
                            b[i] = p[i]; l[i] = label
                        }
                    }
                }
            }
        }
        return LabelMap(width: w, height: h, labels: labels)
    }
}
