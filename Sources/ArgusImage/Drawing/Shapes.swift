extension RGBImage {
    /// Fills the rectangle [x1, x2) x [y1, y2) (clipped to the image), blending with `alpha` in [0, 1].
    ///
    /// Each channel becomes `round(alpha * color + (1 - alpha) * pixel)`; alpha 1 paints opaquely.
    public mutating func fillRectangle(x1: Int, y1: Int, x2: Int, y2: Int, color: RGBColor, alpha: Float = 1) {
        let left = max(0, x1), right = min(width, x2), top = max(0, y1), bottom = min(height, y2)
        guard left < right, top < bottom else { return }
        let a = min(max(alpha, 0), 1)
        let w = width
        pixels.withUnsafeMutableBufferPointer { p in
            for y in top..<bottom {
                var i = (y * w + left) * 3
                for _ in left..<right {
                    if a >= 1 {
                        p[i] = color.r; p[i + 1] = color.g; p[i + 2] = color.b
                    } else {
                        p[i] = blend(p[i], color.r, a); p[i + 1] = blend(p[i + 1], color.g, a); p[i + 2] = blend(p[i + 2], color.b, a)
                    }
                    i += 3
                }
            }
        }
    }

    /// Draws the outline of the box with corners (x1, y1) and (x2, y2) inclusive, `thickness` pixels inward.
    public mutating func strokeRectangle(x1: Int, y1: Int, x2: Int, y2: Int, color: RGBColor, thickness: Int = 2) {
        let t = max(1, thickness)
        let right = x2 + 1, bottom = y2 + 1
        guard x1 < right, y1 < bottom else { return }
        fillRectangle(x1: x1, y1: y1, x2: right, y2: min(bottom, y1 + t), color: color)          // top
        fillRectangle(x1: x1, y1: max(y1, bottom - t), x2: right, y2: bottom, color: color)      // bottom
        fillRectangle(x1: x1, y1: y1, x2: min(right, x1 + t), y2: bottom, color: color)          // left
        fillRectangle(x1: max(x1, right - t), y1: y1, x2: right, y2: bottom, color: color)       // right
    }

    /// Tints the pixels where `mask` is non-zero; `mask` is `maskWidth x maskHeight` placed at (x, y).
    public mutating func blendMask(_ mask: [UInt8], maskWidth: Int, maskHeight: Int, x: Int = 0, y: Int = 0,
                                   color: RGBColor, alpha: Float = 0.5) {
        guard maskWidth > 0, maskHeight > 0, mask.count == maskWidth * maskHeight else { return }
        let a = min(max(alpha, 0), 1)
        let w = width, h = height
        pixels.withUnsafeMutableBufferPointer { p in
            for my in 0..<maskHeight {
                let iy = y + my
                if iy < 0 || iy >= h { continue }
                for mx in 0..<maskWidth where mask[my * maskWidth + mx] != 0 {
                    let ix = x + mx
                    if ix < 0 || ix >= w { continue }
                    let i = (iy * w + ix) * 3
                    p[i] = blend(p[i], color.r, a); p[i + 1] = blend(p[i + 1], color.g, a); p[i + 2] = blend(p[i + 2], color.b, a)
                }
            }
        }
    }
}

/// `round(alpha * over + (1 - alpha) * under)`.
@inline(__always)
func blend(_ under: UInt8, _ over: UInt8, _ alpha: Float) -> UInt8 {
    UInt8(min(255, max(0, (alpha * Float(over) + (1 - alpha) * Float(under)).rounded())))
}
