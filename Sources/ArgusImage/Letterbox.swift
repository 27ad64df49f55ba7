/// Where the letterboxed image sits inside the padded canvas.
public struct LetterboxGeometry: Sendable, Equatable {
    /// Horizontal scale applied to the source (YOLOv5's `ratio[0]`).
    public let ratioX: Double
    /// Vertical scale applied to the source (`ratio[1]`; equals `ratioX` unless scaleFill).
    public let ratioY: Double
    /// Size of the resized image before padding.
    public let resizedWidth: Int
    /// Size of the resized image before padding.
    public let resizedHeight: Int
    /// Half the horizontal padding (YOLOv5's `dw` after `dw /= 2`).
    public let padX: Double
    /// Half the vertical padding (`dh` after `dh /= 2`).
    public let padY: Double
    /// Border rows/columns actually added on each side.
    public let top: Int, bottom: Int, left: Int, right: Int
}

/// A letterboxed image and its geometry.
public struct LetterboxResult: Sendable {
    /// The padded image.
    public let image: RGBImage
    /// How the source was scaled and padded.
    public let geometry: LetterboxGeometry
}

/// YOLOv5's `utils.augmentations.letterbox`: scale to fit `newShape` keeping the aspect
/// ratio (Python round-half-even for the new size), with `auto` pad only up to a multiple
/// of `stride`, resize with cv2 INTER_LINEAR only if the size changes, then pad with `color`
/// using `round(d - 0.1)` / `round(d + 0.1)` on each side.
public func letterbox(_ image: RGBImage, newShape: (height: Int, width: Int) = (640, 640),
                      color: (UInt8, UInt8, UInt8) = (114, 114, 114), auto: Bool = true,
                      scaleFill: Bool = false, scaleUp: Bool = true, stride: Int = 32,
                      split: RangeSplitter = serialSplit) -> LetterboxResult {
    precondition(newShape.height > 0 && newShape.width > 0 && stride > 0, "letterbox shape and stride must be positive")
    let h = image.height, w = image.width
    var r = min(Double(newShape.height) / Double(h), Double(newShape.width) / Double(w))
    if !scaleUp { r = min(r, 1.0) }
    var ratioX = r, ratioY = r
    var unpadW = Int((Double(w) * r).rounded(.toNearestOrEven))
    var unpadH = Int((Double(h) * r).rounded(.toNearestOrEven))
    // A tiny source scaled down can round to zero; cv2.resize would refuse that size.
    unpadW = max(unpadW, 1); unpadH = max(unpadH, 1)
    var dw = Double(newShape.width - unpadW), dh = Double(newShape.height - unpadH)
    if auto {
        dw = Double(pythonMod(newShape.width - unpadW, stride))
        dh = Double(pythonMod(newShape.height - unpadH, stride))
    } else if scaleFill {
        dw = 0; dh = 0
        unpadW = newShape.width; unpadH = newShape.height
        ratioX = Double(newShape.width) / Double(w); ratioY = Double(newShape.height) / Double(h)
    }
    dw /= 2; dh /= 2
    let resized = (unpadW == w && unpadH == h) ? image : resizeBilinear(image, width: unpadW, height: unpadH, split: split)
    let top = max(0, Int((dh - 0.1).rounded(.toNearestOrEven))), bottom = max(0, Int((dh + 0.1).rounded(.toNearestOrEven)))
    let left = max(0, Int((dw - 0.1).rounded(.toNearestOrEven))), right = max(0, Int((dw + 0.1).rounded(.toNearestOrEven)))
    let padded = pad(resized, top: top, bottom: bottom, left: left, right: right, color: color)
    let geometry = LetterboxGeometry(ratioX: ratioX, ratioY: ratioY, resizedWidth: unpadW, resizedHeight: unpadH,
                                     padX: dw, padY: dh, top: top, bottom: bottom, left: left, right: right)
    return LetterboxResult(image: padded, geometry: geometry)
}

/// Adds a constant-color border (cv2.copyMakeBorder with BORDER_CONSTANT).
public func pad(_ image: RGBImage, top: Int, bottom: Int, left: Int, right: Int,
                color: (UInt8, UInt8, UInt8)) -> RGBImage {
    precondition(top >= 0 && bottom >= 0 && left >= 0 && right >= 0, "padding must be non-negative")
    if top == 0 && bottom == 0 && left == 0 && right == 0 { return image }
    let outW = image.width + left + right, outH = image.height + top + bottom
    var out = RGBImage(width: outW, height: outH, fill: color)
    let rowBytes = image.width * 3
    image.pixels.withUnsafeBufferPointer { src in
        out.pixels.withUnsafeMutableBufferPointer { dst in
            for y in 0 ..< image.height {
                let target = dst.baseAddress! + ((y + top) * outW + left) * 3
                target.update(from: src.baseAddress! + y * rowBytes, count: rowBytes)
            }
        }
    }
    return out
}

/// Python's `%` (result has the sign of the divisor).
private func pythonMod(_ a: Int, _ b: Int) -> Int { ((a % b) + b) % b }
