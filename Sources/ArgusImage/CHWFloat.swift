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
    // x - 0 and x / 1 are exact, so absent mean and std change nothing.
    let means = SIMD3<Float>(mean?[0] ?? 0, mean?[1] ?? 0, mean?[2] ?? 0)
    let stds = SIMD3<Float>(std?[0] ?? 1, std?[1] ?? 1, std?[2] ?? 1)
    let plane = image.width * image.height
    return [Float](unsafeUninitializedCapacity: 3 * plane) { out, initialized in
        image.pixels.withUnsafeBufferPointer { src in
            let s = UnsafeRawPointer(src.baseAddress!), o = out.baseAddress!
            let red = bgr ? o + 2 * plane : o, blue = bgr ? o : o + 2 * plane, green = o + plane
            split(plane) { pixels in
                var i = pixels.lowerBound
                // Eight pixels (24 bytes, read as two overlapping 16-byte loads) per step, each channel's lanes
                // picked out and converted as one vector: the same operations per value as the scalar tail.
                while i + 8 <= pixels.upperBound {
                    let a = s.loadUnaligned(fromByteOffset: 3 * i, as: SIMD16<UInt8>.self)
                    let b = s.loadUnaligned(fromByteOffset: 3 * i + 8, as: SIMD16<UInt8>.self)
                    let r = SIMD8<UInt8>(a[0], a[3], a[6], a[9], a[12], a[15], b[10], b[13])
                    let g = SIMD8<UInt8>(a[1], a[4], a[7], a[10], a[13], b[8], b[11], b[14])
                    let bl = SIMD8<UInt8>(a[2], a[5], a[8], a[11], a[14], b[9], b[12], b[15])
                    store(normalized(r, divisor, means.x, stds.x), red + i)
                    store(normalized(g, divisor, means.y, stds.y), green + i)
                    store(normalized(bl, divisor, means.z, stds.z), blue + i)
                    i += 8
                }
                let bytes = s.assumingMemoryBound(to: UInt8.self)
                for i in i ..< pixels.upperBound {
                    red[i] = (Float(bytes[3 * i]) / divisor - means.x) / stds.x
                    green[i] = (Float(bytes[3 * i + 1]) / divisor - means.y) / stds.y
                    blue[i] = (Float(bytes[3 * i + 2]) / divisor - means.z) / stds.z
                }
            }
        }
        initialized = 3 * plane
    }
}

@inline(__always)
private func normalized(_ v: SIMD8<UInt8>, _ divisor: Float, _ mean: Float, _ std: Float) -> SIMD8<Float> {
    (SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: v)) / SIMD8(repeating: divisor) - SIMD8(repeating: mean))
        / SIMD8(repeating: std)
}

@inline(__always)
private func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}
