/// Returns the image turned upright for an EXIF orientation (the same flips and transposes
/// as OpenCV's imread: 6 = rotate 90 degrees clockwise, 8 = counter-clockwise, ...).
public func applyOrientation(_ image: RGBImage, _ orientation: ExifOrientation) -> RGBImage {
    if orientation == .up { return image }
    let w = image.width, h = image.height
    let (outW, outH) = orientation.swapsDimensions ? (h, w) : (w, h)
    // Output pixel (x, y) reads source byte offset origin + x * dx + y * dy.
    let row = w * 3, last = (h - 1) * row, right = (w - 1) * 3
    let (origin, dx, dy): (Int, Int, Int)
    switch orientation {
    case .up: (origin, dx, dy) = (0, 3, row)
    case .upMirrored: (origin, dx, dy) = (right, -3, row)
    case .down: (origin, dx, dy) = (last + right, -3, -row)
    case .downMirrored: (origin, dx, dy) = (last, 3, -row)
    case .leftMirrored: (origin, dx, dy) = (0, row, 3)
    case .right: (origin, dx, dy) = (last, -row, 3)
    case .rightMirrored: (origin, dx, dy) = (last + right, -row, -3)
    case .left: (origin, dx, dy) = (right, row, -3)
    }
    let pixels = image.pixels.withUnsafeBufferPointer { src in
        makeBytes(count: outW * outH * 3) { dst in
            let s = src.baseAddress!, d = dst.baseAddress!
            var o = 0
            for y in 0 ..< outH {
                var i = origin + y * dy
                for _ in 0 ..< outW {
                    d[o] = s[i]; d[o + 1] = s[i + 1]; d[o + 2] = s[i + 2]
                    o += 3
                    i += dx
                }
            }
        }
    }
    return RGBImage(uncheckedWidth: outW, height: outH, pixels: pixels)
}
