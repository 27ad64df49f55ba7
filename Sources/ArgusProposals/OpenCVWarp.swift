import Foundation

/// The pieces of OpenCV geometry selective search's texture strategy uses to take gradients at 45 degrees:
/// `getRotationMatrix2D`, `RotatedRect::boundingRect`, `warpAffine` (INTER_LINEAR, BORDER_CONSTANT 0) and
/// `Scharr` (to float, BORDER_REFLECT_101), with OpenCV's arithmetic where it decides the bits.
enum OpenCVWarp {
    /// `getRotationMatrix2D(center, angle, 1)` (double; the centre is a float point).
    static func rotationMatrix(centerX: Float, centerY: Float, angle: Double) -> [Double] {
        let radians = angle * (Double.pi / 180)  // OpenCV: angle *= CV_PI/180
        let alpha = cos(radians), beta = sin(radians)
        let cx = Double(centerX), cy = Double(centerY)
        return [alpha, beta, (1 - alpha) * cx - beta * cy,
                -beta, alpha, beta * cx + (1 - alpha) * cy]
    }

    /// `RotatedRect(center, size, angle).boundingRect()`: the corners in float (half sines and cosines rounded
    /// to float first), floor of the minima, ceil of the maxima, both ends included.
    static func rotatedBoundingRect(centerX cx: Float, centerY cy: Float, width: Float, height: Float,
                                    angle: Float) -> ProposalRect {
        let radians = Double(angle) * Double.pi / 180
        let b = Float(cos(radians)) * 0.5, a = Float(sin(radians)) * 0.5
        let x0 = cx - a * height - b * width, y0 = cy + b * height - a * width
        let x1 = cx + a * height - b * width, y1 = cy - b * height - a * width
        let xs = [x0, x1, 2 * cx - x0, 2 * cx - x1], ys = [y0, y1, 2 * cy - y0, 2 * cy - y1]
        let left = Int(xs.min()!.rounded(.down)), top = Int(ys.min()!.rounded(.down))
        let right = Int(xs.max()!.rounded(.up)), bottom = Int(ys.max()!.rounded(.up))
        return ProposalRect(x: left, y: top, width: right - left + 1, height: bottom - top + 1)
    }

    /// The inverse of a forward affine map, as `warpAffine` computes it (double) before sampling.
    static func invertAffine(_ m: [Double]) -> [Double] {
        var d = m[0] * m[4] - m[1] * m[3]
        d = d != 0 ? 1 / d : 0
        let a11 = m[4] * d, a22 = m[0] * d
        let a12 = -m[1] * d, a21 = -m[3] * d
        let b1 = -a11 * m[2] - a12 * m[5]
        let b2 = -a21 * m[2] - a22 * m[5]
        return [a11, a12, b1, a21, a22, b2]
    }

    /// `warpAffine(src, dst, forward, Size(dstWidth, dstHeight))` on an 8-bit plane, INTER_LINEAR, constant
    /// border 0, as OpenCV 4.11+/5.x's own SIMD kernel computes it: the inverse map rounded to float, source
    /// coordinates `fma(m0, x, fma(y, m1, m2))`, fractions `s - floor(s)`, two fused lerps along x then one along
    /// y in float, rounded half to even. A sample whose 2x2 neighbourhood lies wholly outside is 0; partly
    /// outside, the missing pixels count as 0. The 5.1 wheels route this call to Intel IPP instead (turning IPP
    /// off changes the result), whose arithmetic is unpublished; against it this differs on about 3 in 100 000
    /// pixels (values within 5e-4 of a half, rounded the other way).
    static func warpAffine8U(_ src: [UInt8], width: Int, height: Int, forward: [Double], dstWidth: Int,
                             dstHeight: Int) -> [UInt8] {
        let m = invertAffine(forward).map { Float($0) }
        let values = src.map { Float($0) }
        return sample(values, width: width, height: height, dstWidth: dstWidth, dstHeight: dstHeight,
                      yFirst: false) { x, y in
            let fy = Float(y), fx = Float(x)
            let mx = m[2].addingProduct(fy, m[1]), my = m[5].addingProduct(fy, m[4])
            let sx = mx.addingProduct(m[0], fx), sy = my.addingProduct(m[3], fx)
            let flx = sx.rounded(.down), fly = sy.rounded(.down)
            return (flx, fly, sx - flx, sy - fly)
        }.map { UInt8(max(0, min(255, $0.rounded(.toNearestOrEven)))) }
    }

    /// The same warp on a float plane. OpenCV 5.1's wheels hand 32-bit float warps to Intel IPP, whose arithmetic
    /// is not published; measured against cv2, it is closest to: coordinates in double, fractions rounded to
    /// float, a fused lerp along y on both columns, then one along x. That leaves about 1 in 10 000 outputs a few
    /// ulps off (coordinates that are integers in exact arithmetic, and samples at the border), which only
    /// rarely moves a texture bin.
    static func warpAffine32F(_ src: [Float], width: Int, height: Int, forward: [Double], dstWidth: Int,
                              dstHeight: Int) -> [Float] {
        let m = invertAffine(forward)
        return sample(src, width: width, height: height, dstWidth: dstWidth, dstHeight: dstHeight,
                      yFirst: true) { x, y in
            let sx = m[0] * Double(x) + m[1] * Double(y) + m[2], sy = m[3] * Double(x) + m[4] * Double(y) + m[5]
            let flx = sx.rounded(.down), fly = sy.rounded(.down)
            guard flx > -4, flx < 1e6, fly > -4, fly < 1e6 else { return (-4, -4, 0, 0) }
            return (Float(flx), Float(fly), Float(sx - flx), Float(sy - fly))
        }
    }

    /// Bilinear sampling at the coordinates `map(x, y)` gives as (floor x, floor y, fraction x, fraction y).
    @inline(__always)
    private static func sample(_ s: [Float], width: Int, height: Int, dstWidth: Int, dstHeight: Int, yFirst: Bool,
                               map: (Int, Int) -> (Float, Float, Float, Float)) -> [Float] {
        var out = [Float](repeating: 0, count: dstWidth * dstHeight)
        @inline(__always) func pixel(_ x: Int, _ y: Int) -> Float {
            (x >= 0 && x < width && y >= 0 && y < height) ? s[y * width + x] : 0
        }
        for y in 0 ..< dstHeight {
            for x in 0 ..< dstWidth {
                let (flx, fly, ax, ay) = map(x, y)
                guard flx > -2, flx < Float(width), fly > -2, fly < Float(height) else { continue }
                let ix = Int(flx), iy = Int(fly)
                let p00: Float, p01: Float, p10: Float, p11: Float
                if ix >= 0 && ix < width - 1 && iy >= 0 && iy < height - 1 {
                    let base = iy * width + ix
                    p00 = s[base]; p01 = s[base + 1]; p10 = s[base + width]; p11 = s[base + width + 1]
                } else {
                    p00 = pixel(ix, iy); p01 = pixel(ix + 1, iy); p10 = pixel(ix, iy + 1); p11 = pixel(ix + 1, iy + 1)
                }
                if yFirst {
                    let c0 = p00.addingProduct(ay, p10 - p00), c1 = p01.addingProduct(ay, p11 - p01)
                    out[y * dstWidth + x] = c0.addingProduct(ax, c1 - c0)
                } else {
                    let v0 = p00.addingProduct(ax, p01 - p00), v1 = p10.addingProduct(ax, p11 - p10)
                    out[y * dstWidth + x] = v0.addingProduct(ay, v1 - v0)
                }
            }
        }
        return out
    }

    /// `Scharr(src, dst, CV_32F, dx, dy)` with (dx, dy) = (1, 0) or (0, 1): [-1 0 1] along the derivative's axis,
    /// [3 10 3] across, BORDER_REFLECT_101. Integer sums, so exact in float whatever OpenCV's order.
    static func scharr(_ src: [UInt8], width: Int, height: Int, alongX: Bool) -> [Float] {
        var out = [Float](repeating: 0, count: width * height)
        @inline(__always) func at(_ x: Int, _ y: Int) -> Int {
            Int(src[OpenCVGaussianBlur.reflect101(y, height) * width + OpenCVGaussianBlur.reflect101(x, width)])
        }
        for y in 0 ..< height {
            for x in 0 ..< width {
                let v: Int
                if alongX {
                    v = 3 * (at(x + 1, y - 1) - at(x - 1, y - 1)) + 10 * (at(x + 1, y) - at(x - 1, y))
                        + 3 * (at(x + 1, y + 1) - at(x - 1, y + 1))
                } else {
                    v = 3 * (at(x - 1, y + 1) - at(x - 1, y - 1)) + 10 * (at(x, y + 1) - at(x, y - 1))
                        + 3 * (at(x + 1, y + 1) - at(x + 1, y - 1))
                }
                out[y * width + x] = Float(v)
            }
        }
        return out
    }
}
