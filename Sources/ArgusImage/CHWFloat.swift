/// Converts to planar Float32 (CHW, planes R, G, B) for a network input:
/// `(Float(v) / divisor - mean[c]) / std[c]`, evaluated in Float32 in that order, so the
/// values equal PyTorch's `x.float() / 255` (YOLO) and torchvision's Normalize bit for bit.
/// (Dividing is not the same as multiplying by 1/255: they differ in the last bit for 126 of
/// the 256 byte values.) `mean`/`std` must have 3 entries when given.
/// `bgr`: planes in B, G, R order (OpenCV-trained models such as YOLOX). `split` may run slices of the pixels in
/// parallel.
public func toCHWFloat(_ image: RGBImage, divisor: Float = 255, mean: [Float]? = nil, std: [Float]? = nil,
                       bgr: Bool = false, split: RangeSplitter = serialSplit) -> [Float] {
    precondition(mean == nil || mean!.count == 3, "mean needs 3 values")
    precondition(std == nil || std!.count == 3, "std needs 3 values")
    // One 256-entry table per channel: identical results to the per-pixel formula.
    var table = [Float](repeating: 0, count: 3 * 256)
    for c in 0 ..< 3 {
        for v in 0 ..< 256 {
            var x = Float(v) / divisor
            if let mean { x = x - mean[c] }
            if let std { x = x / std[c] }
            table[c * 256 + v] = x
        }
    }
    let plane = image.width * image.height
    return [Float](unsafeUninitializedCapacity: 3 * plane) { out, initialized in
        image.pixels.withUnsafeBufferPointer { src in
            table.withUnsafeBufferPointer { lut in
                let s = src.baseAddress!, o = out.baseAddress!, t = lut.baseAddress!
                let red = bgr ? o + 2 * plane : o, blue = bgr ? o : o + 2 * plane, green = o + plane
                split(plane) { pixels in
                    for i in pixels {
                        red[i] = t[Int(s[3 * i])]
                        green[i] = t[256 + Int(s[3 * i + 1])]
                        blue[i] = t[512 + Int(s[3 * i + 2])]
                    }
                }
            }
        }
        initialized = 3 * plane
    }
}
