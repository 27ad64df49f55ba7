import ArgusDetection
import ArgusImage

/// R-CNN's region warp (Girshick et al., CVPR 2014, appendix A, "dilate then warp" with context padding): the box is
/// grown about its centre so that, once warped to `size` x `size`, exactly `padding` pixels of image context surround
/// the original box; the grown box is rounded to whole pixels and clipped to the image, its pixels resized bilinearly
/// (no antialiasing) to where they fall in the warped frame, and the part of the frame outside the image is the
/// mean (zero after normalisation).
///
/// Coordinates are pixel edges: a box [x1, y1, x2, y2] covers x1 <= x < x2. rcnn's `rcnn_im_crop.m` computes the
/// same in 1-based pixel indices, where its centre sits half a pixel to the lower right.
public struct RegionWarp: Sendable, Equatable {
    /// The warped frame's side (the classifier's input).
    public var size: Int
    /// Context pixels around the box in the warped frame (the paper's p = 16).
    public var padding: Int

    public init(size: Int, padding: Int) { self.size = size; self.padding = padding }

    /// Where a region's pixels come from and where they go.
    public struct Placement: Sendable, Equatable {
        /// The image pixels read: columns x0..<x1, rows y0..<y1.
        public var x0: Int, y0: Int, x1: Int, y1: Int
        /// Where they land in the warped frame: columns left..<left + width, rows top..<top + height.
        public var left: Int, top: Int, width: Int, height: Int
    }

    /// The placement of `box` in an image of the given size; nil when the grown box lies wholly outside it.
    public func placement(_ box: Box, imageWidth: Int, imageHeight: Int) -> Placement? {
        let scale = Double(size) / Double(size - 2 * padding)
        // One axis: the grown extent rounded to whole pixels (half away from zero, as MATLAB's round), at least one
        // pixel; its clipped part; where that part lands.
        func axis(_ lo: Float, _ hi: Float, _ extent: Int) -> (read: Range<Int>, offset: Int, length: Int)? {
            let centre = (Double(lo) + Double(hi)) / 2, half = (Double(hi) - Double(lo)) / 2 * scale
            let a = Int((centre - half).rounded()), b = max(Int((centre + half).rounded()), a + 1)
            let c = max(a, 0), d = min(b, extent)
            guard d > c else { return nil }
            let perPixel = Double(size) / Double(b - a)
            let offset = min(Int((Double(c - a) * perPixel).rounded()), size - 1)
            let length = min(max(Int((Double(d - c) * perPixel).rounded()), 1), size - offset)
            return (c..<d, offset, length)
        }
        guard let x = axis(box.x1, box.x2, imageWidth), let y = axis(box.y1, box.y2, imageHeight) else { return nil }
        return Placement(x0: x.read.lowerBound, y0: y.read.lowerBound, x1: x.read.upperBound, y1: y.read.upperBound,
                         left: x.offset, top: y.offset, width: x.length, height: y.length)
    }

    /// Writes the warped region as normalised CHW floats (`(v / 255 - mean) / std`) into `out` (3 x size x size),
    /// zero outside the placement. The resize is torch's bilinear `interpolate` (align_corners=False, no
    /// antialias) of the read window: half-pixel centres, edge pixels repeated at the window's border.
    public func warp(_ image: RGBImage, _ p: Placement, mean: [Float], std: [Float], into out: UnsafeMutablePointer<Float>) {
        let plane = size * size
        out.initialize(repeating: 0, count: 3 * plane)
        struct Tap { var a: Int; var b: Int; var t: Float }
        // torch's area_pixel_compute_source_index and its upper-neighbour rule, in float as torch computes them.
        func taps(_ count: Int, from extent: Int) -> [Tap] {
            let ratio = Float(extent) / Float(count)
            return (0..<count).map { i in
                let source = max(ratio * (Float(i) + 0.5) - 0.5, 0)
                let a = min(Int(source), extent - 1)
                return Tap(a: a, b: a < extent - 1 ? a + 1 : a, t: source - Float(a))
            }
        }
        let columns = taps(p.width, from: p.x1 - p.x0), rows = taps(p.height, from: p.y1 - p.y0)
        let scale = (0..<3).map { 1 / (255 * std[$0]) }, shift = (0..<3).map { mean[$0] / std[$0] }
        image.pixels.withUnsafeBufferPointer { src in
            let w = image.width
            for (r, row) in rows.enumerated() {
                let upper = src.baseAddress! + ((p.y0 + row.a) * w + p.x0) * 3
                let lower = src.baseAddress! + ((p.y0 + row.b) * w + p.x0) * 3
                let base = (p.top + r) * size + p.left
                for c in 0..<3 {
                    let o = out + c * plane + base
                    for (k, col) in columns.enumerated() {
                        let top = Float(upper[col.a * 3 + c]) * (1 - col.t) + Float(upper[col.b * 3 + c]) * col.t
                        let bottom = Float(lower[col.a * 3 + c]) * (1 - col.t) + Float(lower[col.b * 3 + c]) * col.t
                        o[k] = (top * (1 - row.t) + bottom * row.t) * scale[c] - shift[c]
                    }
                }
            }
        }
    }
}
