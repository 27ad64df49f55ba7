/// The eight 8-bit gradient maps per channel that OpenCV's texture strategy bins (selectivesearchsegmentation.cpp,
/// `SelectiveSearchSegmentationStrategyTexture::setImage`). They depend on the image only, not on the
/// segmentation, so they are computed once per image and shared by all its segmentations.
///
/// Per channel, in this order: Scharr x then y on the plane; Scharr x then y on the plane rotated by 45 degrees
/// (into its bounding box), each rotated back by -45 degrees and cropped to the plane's size. Each gradient is
/// split into its positive part (`THRESH_TOZERO` at 0) and its non-positive part (`THRESH_TOZERO_INV`), and each
/// part stretched to 0...255 with `convertTo(CV_8U, 255 / (max - min), -255 min / (max - min))`.
enum TextureGradients {
    /// `channels * 8` maps of `width * height` bytes, index `channel * 8 + orientation`.
    static func maps(_ image: ChannelImage) -> [[UInt8]] {
        var maps: [[UInt8]] = []
        for c in 0 ..< image.channels {
            let plane = image.channels == 1 ? image.pixels : image.channel(c).pixels
            for gradient in gradients(plane, width: image.width, height: image.height) {
                maps.append(stretch(gradient.map { $0 > 0 ? $0 : 0 }))
                maps.append(stretch(gradient.map { $0 > 0 ? 0 : $0 }))
            }
        }
        return maps
    }

    /// x and y gradients, then the rotated x and y gradients, each `width * height`.
    static func gradients(_ plane: [UInt8], width w: Int, height h: Int) -> [[Float]] {
        var result = [OpenCVWarp.scharr(plane, width: w, height: h, alongX: true),
                      OpenCVWarp.scharr(plane, width: w, height: h, alongX: false)]
        let cx = Float(w) / 2, cy = Float(h) / 2
        var forward = OpenCVWarp.rotationMatrix(centerX: cx, centerY: cy, angle: 45)
        let box = OpenCVWarp.rotatedBoundingRect(centerX: cx, centerY: cy, width: Float(w), height: Float(h), angle: 45)
        forward[2] += Double(box.width) / 2 - Double(cx)
        forward[5] += Double(box.height) / 2 - Double(cy)
        let rotated = OpenCVWarp.warpAffine8U(plane, width: w, height: h, forward: forward,
                                             dstWidth: box.width, dstHeight: box.height)
        // Back by -45 degrees about the rotated image's integer centre, into that rotation's bounding box (no
        // recentring: OpenCV crops the plane-sized window at half the first box's overhang instead).
        let bx = Float(Int(Double(box.width) / 2)), by = Float(Int(Double(box.height) / 2))
        let back = OpenCVWarp.rotationMatrix(centerX: bx, centerY: by, angle: -45)
        let box2 = OpenCVWarp.rotatedBoundingRect(centerX: bx, centerY: by, width: Float(box.width),
                                                  height: Float(box.height), angle: -45)
        let startX = max(0, (box.width - w) / 2), startY = max(0, (box.height - h) / 2)
        precondition(startX + w <= box2.width && startY + h <= box2.height, "rotated gradient crop out of range")
        for alongX in [true, false] {
            let g = OpenCVWarp.scharr(rotated, width: box.width, height: box.height, alongX: alongX)
            let unrotated = OpenCVWarp.warpAffine32F(g, width: box.width, height: box.height, forward: back,
                                                     dstWidth: box2.width, dstHeight: box2.height)
            var crop = [Float](repeating: 0, count: w * h)
            for y in 0 ..< h {
                for x in 0 ..< w { crop[y * w + x] = unrotated[(y + startY) * box2.width + x + startX] }
            }
            result.append(crop)
        }
        return result
    }

    /// `convertTo(CV_8U, alpha, beta)` with alpha = 255 / (max - min), beta = -255 min / (max - min) (double,
    /// then float), computed as OpenCV's AVX2 loop does: round-half-even of fma(v, alpha, beta), saturated. A
    /// constant map (max == min) gives NaN or infinity, which OpenCV turns into 0.
    static func stretch(_ values: [Float]) -> [UInt8] {
        var lo = Float.infinity, hi = -Float.infinity
        for v in values { lo = min(lo, v); hi = max(hi, v) }
        let hmin = Double(lo), hmax = Double(hi)
        let alpha = Float(255 / (hmax - hmin)), beta = Float(-255 * hmin / (hmax - hmin))
        return values.map { v in
            let r = beta.addingProduct(v, alpha).rounded(.toNearestOrEven)
            guard r.isFinite else { return 0 }
            return UInt8(max(0, min(255, r)))
        }
    }
}
