import ArgusDetection
import ArgusMask
import ArgusTensor

/// torchvision's paste_masks_in_image for one mask: the 28x28 probability map goes into the original image
/// under its box. The map is zero-padded by one pixel and the box enlarged by (M + 2) / M about its centre
/// (so the map's border falls just outside the box), truncated to integers, then the padded map is resized
/// bilinearly to the box's pixel size and copied into the image where the box overlaps it.
struct MaskPaste {
    /// Where the pasted values go in the image: columns x0..<x1, rows y0..<y1 (possibly empty), and the values
    /// themselves row-major over that rectangle.
    struct Pasted {
        var x0: Int, y0: Int, x1: Int, y1: Int
        var values: [Float]
        var width: Int { x1 - x0 }
        var height: Int { y1 - y0 }
    }

    let imageHeight: Int
    let imageWidth: Int
    let padding = 1

    /// `probabilities`: one [M, M] map (row-major); `box`: original-image pixels.
    func paste(_ probabilities: UnsafeBufferPointer<Float>, size m: Int, box: Box) throws -> Pasted {
        let padded = m + 2 * padding
        var map = [Float](repeating: 0, count: padded * padded)
        for y in 0..<m { for x in 0..<m { map[(y + padding) * padded + x + padding] = probabilities[y * m + x] } }
        // expand_boxes in float32 (the Python scale is applied to a float32 tensor), then .to(int64).
        let scale = Float(Double(padded) / Double(m))
        let wHalf = (box.x2 - box.x1) * 0.5 * scale, hHalf = (box.y2 - box.y1) * 0.5 * scale
        let xc = (box.x2 + box.x1) * 0.5, yc = (box.y2 + box.y1) * 0.5
        let bx0 = Self.truncated(xc - wHalf), bx1 = Self.truncated(xc + wHalf)
        let by0 = Self.truncated(yc - hHalf), by1 = Self.truncated(yc + hHalf)
        let w = max(bx1 - bx0 + 1, 1), h = max(by1 - by0 + 1, 1)
        let x0 = max(bx0, 0), x1 = min(bx1 + 1, imageWidth)
        let y0 = max(by0, 0), y1 = min(by1 + 1, imageHeight)
        guard x1 > x0, y1 > y0 else { return Pasted(x0: x0, y0: y0, x1: x0, y1: y0, values: []) }
        let resized = try interpolateBilinear(Tensor(shape: [1, 1, padded, padded], storage: map), size: (h, w),
                                              alignCorners: false)
        var values = [Float](repeating: 0, count: (x1 - x0) * (y1 - y0))
        resized.storage.withUnsafeBufferPointer { r in
            for y in y0..<y1 {
                let src = (y - by0) * w + (x0 - bx0), dst = (y - y0) * (x1 - x0)
                for x in 0..<(x1 - x0) { values[dst + x] = r[src + x] }
            }
        }
        return Pasted(x0: x0, y0: y0, x1: x1, y1: y1, values: values)
    }

    /// The binary mask (probability > threshold, as torchvision users threshold `masks > 0.5`) as RLE.
    func mask(_ p: Pasted, threshold: Float = 0.5) -> RLE {
        var region = [UInt8](repeating: 0, count: p.values.count)
        let (w, h) = (p.width, p.height)
        for y in 0..<h { for x in 0..<w where p.values[y * w + x] > threshold { region[x * h + y] = 1 } }
        return RLE(region: region, x0: p.x0, y0: p.y0, regionWidth: w, regionHeight: h,
                   height: imageHeight, width: imageWidth)
    }

    /// Float -> Int64 toward zero, saturating (a box far outside the image must not trap).
    static func truncated(_ v: Float) -> Int {
        guard v.isFinite else { return 0 }
        return Int(max(min(v, 1e9), -1e9))
    }
}
