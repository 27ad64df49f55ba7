import Foundation

/// `cv::cvtColor` from 8-bit BGR to HSV and to L*a*b*, the two colour spaces selective search's Fast mode
/// segments (`switchToSelectiveSearchFast`). Both are per-pixel integer functions in OpenCV (lookup tables built
/// once, then fixed-point arithmetic), so they are reproduced as such and checked against OpenCV on all 2^24
/// colours (Tests/ArgusProposalsTests).
public enum OpenCVColorConversion {
    /// `cvtColor(bgr, COLOR_BGR2HSV)`: H in 0..<180 (degrees / 2), S and V in 0...255.
    public static func bgrToHSV(_ image: ChannelImage) -> ChannelImage {
        precondition(image.channels == 3, "BGR to HSV needs a 3-channel image")
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        let tables = HSVTables.shared
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                tables.sdiv.withUnsafeBufferPointer { sdiv in
                    tables.hdiv180.withUnsafeBufferPointer { hdiv in
                        var i = 0
                        while i < src.count {
                            let (h, s, v) = hsv(b: Int(src[i]), g: Int(src[i + 1]), r: Int(src[i + 2]),
                                                sdiv: sdiv, hdiv: hdiv)
                            dst[i] = h; dst[i + 1] = s; dst[i + 2] = v
                            i += 3
                        }
                    }
                }
            }
        }
        return ChannelImage(width: image.width, height: image.height, channels: 3, pixels: out)
    }

    /// OpenCV's `RGB2HSV_b` for one pixel (hue range 180), 12-bit fixed point.
    @inline(__always)
    static func hsv(b: Int, g: Int, r: Int, sdiv: UnsafeBufferPointer<Int>,
                    hdiv: UnsafeBufferPointer<Int>) -> (UInt8, UInt8, UInt8) {
        let shift = 12, half = 1 << (shift - 1)
        let v = max(b, g, r), vmin = min(b, g, r)
        let diff = v - vmin
        let s = (diff * sdiv[v] + half) >> shift
        var h: Int
        if v == r {
            h = g - b
        } else if v == g {
            h = b - r + 2 * diff
        } else {
            h = r - g + 4 * diff
        }
        h = (h * hdiv[diff] + half) >> shift  // arithmetic shift: floor for negative values, as in C
        if h < 0 { h += 180 }
        return (UInt8(clamping: h), UInt8(s), UInt8(v))
    }

    struct HSVTables {
        /// round(255 * 2^12 / i) and round(180 * 2^12 / (6 i)), 0 at i = 0 (cvRound: ties to even).
        let sdiv: [Int]
        let hdiv180: [Int]

        static let shared = HSVTables()

        init() {
            var sdiv = [Int](repeating: 0, count: 256), hdiv = [Int](repeating: 0, count: 256)
            for i in 1 ..< 256 {
                sdiv[i] = Int((Double(255 << 12) / Double(i)).rounded(.toNearestOrEven))
                hdiv[i] = Int((Double(180 << 12) / (6.0 * Double(i))).rounded(.toNearestOrEven))
            }
            self.sdiv = sdiv
            hdiv180 = hdiv
        }
    }

    /// `cvtColor(bgr, COLOR_BGR2Lab)` for 8-bit images: L scaled to 0...255 (L * 255 / 100), a and b offset by 128.
    public static func bgrToLab(_ image: ChannelImage) -> ChannelImage {
        precondition(image.channels == 3, "BGR to Lab needs a 3-channel image")
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        let tables = LabTables.shared
        let c = tables.coefficients
        let (c0, c1, c2, c3, c4, c5, c6, c7, c8) = (c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8])
        let labShift = 12, labShift2 = 15
        // L = 116 f(Y) - 16 and a, b = 500 (f(X) - f(Y)), 200 (f(Y) - f(Z)), in the 8-bit scale.
        let lScale = (116 * 255 + 50) / 100
        let lShift = -((16 * 255 * (1 << labShift2) + 50) / 100)
        @inline(__always) func descale(_ x: Int, _ n: Int) -> Int { (x + (1 << (n - 1))) >> n }
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                tables.gamma.withUnsafeBufferPointer { gamma in
                    tables.cbrt.withUnsafeBufferPointer { cbrt in
                        var i = 0
                        while i < src.count {
                            // Linearized channels in memory order (B, G, R for BGR input).
                            let p0 = gamma[Int(src[i])], p1 = gamma[Int(src[i + 1])], p2 = gamma[Int(src[i + 2])]
                            let fX = cbrt[descale(p0 * c0 + p1 * c1 + p2 * c2, labShift)]
                            let fY = cbrt[descale(p0 * c3 + p1 * c4 + p2 * c5, labShift)]
                            let fZ = cbrt[descale(p0 * c6 + p1 * c7 + p2 * c8, labShift)]
                            let l = descale(lScale * fY + lShift, labShift2)
                            let a = descale(500 * (fX - fY) + 128 * (1 << labShift2), labShift2)
                            let b = descale(200 * (fY - fZ) + 128 * (1 << labShift2), labShift2)
                            dst[i] = UInt8(clamping: l); dst[i + 1] = UInt8(clamping: a); dst[i + 2] = UInt8(clamping: b)
                            i += 3
                        }
                    }
                }
            }
        }
        return ChannelImage(width: image.width, height: image.height, channels: 3, pixels: out)
    }

    /// The lookup tables and coefficients of OpenCV's bit-exact 8-bit `RGB2Lab_b` (sRGB, D65 white), built the way
    /// OpenCV builds them in soft float: the results are integers, so IEEE float and double arithmetic gives the
    /// same tables wherever OpenCV's soft-float operations are correctly rounded. Its cube root is not (a rational
    /// approximation whose double result is truncated to float), so that one is reproduced step by step.
    struct LabTables {
        /// sRGB gamma expansion of i / 255, scaled by 255 * 2^3.
        let gamma: [Int]
        /// f(t) = cbrt(t) (or 7.787 t + 16/116 below (6/29)^3) of t = i / (255 * 2^3), scaled by 2^15.
        let cbrt: [Int]
        /// RGB to XYZ (sRGB, D65) divided by the white point, scaled by 2^12, columns in B, G, R memory order.
        let coefficients: [Int]

        static let shared = LabTables()

        init() {
            // sRGB -> XYZ (D65) and the D65 white point, as OpenCV stores them (bit patterns).
            let rgbToXYZ: [UInt64] = [
                0x3fda65a14488c60d, 0x3fd6e297396d0918, 0x3fc71819d2391d58,
                0x3fcb38cda6e75ff6, 0x3fe6e297396d0918, 0x3fb279aae6c8f755,
                0x3f93cc4ac6cdaf4b, 0x3fbe836eb4e98138, 0x3fee68427418d691,
            ]
            let white: [Double] = [Double(bitPattern: 0x3fee6a22b3892ee8), 1, Double(bitPattern: 0x3ff16b8950763a19)]
            var coefficients = [Int](repeating: 0, count: 9)
            for row in 0 ..< 3 {
                let scaled = (0 ..< 3).map { column in
                    Int((4096.0 * Double(bitPattern: rgbToXYZ[row * 3 + column]) / white[row]).rounded(.toNearestOrEven))
                }
                // blue index 0: R's coefficient goes to memory position 2, B's to position 0.
                coefficients[row * 3 + 2] = scaled[0]
                coefficients[row * 3 + 1] = scaled[1]
                coefficients[row * 3 + 0] = scaled[2]
            }
            self.coefficients = coefficients

            var gamma = [Int](repeating: 0, count: 256)
            for i in 0 ..< 256 {
                let x = Float(i) / Float(255)
                let expanded = Self.applyGamma(x)
                gamma[i] = Int((Float(255 * 8) * expanded).rounded(.toNearestOrEven))
            }
            self.gamma = gamma

            let threshold = Float(216) / Float(24389)  // (6/29)^3
            let slope = Float(841) / Float(108)  // (29/3)^3 / (29 * 4)
            let bias = Float(16) / Float(116)
            let step = Float(1) / (Float(255) * Float(8))
            var cbrt = [Int](repeating: 0, count: 256 * 3 / 2 * 8)
            for i in 0 ..< cbrt.count {
                let x = step * Float(i)
                let f = x < threshold ? bias.addingProduct(x, slope) : Self.openCVCubeRoot(x)
                cbrt[i] = Int((Float(1 << 15) * f).rounded(.toNearestOrEven))
            }
            self.cbrt = cbrt
        }

        /// The sRGB transfer function (to linear) in double, rounded to float.
        static func applyGamma(_ x: Float) -> Float {
            let xd = Double(x)
            let threshold = 809.0 / 20000.0, lowScale = 323.0 / 25.0, power = 12.0 / 5.0, shift = 11.0 / 200.0
            return Float(xd <= threshold ? xd / lowScale : pow((xd + shift) / (1 + shift), power))
        }

        /// OpenCV's soft-float `cbrt`: Turkowski's rational approximation of the cube root of the mantissa scaled
        /// into [1/8, 1), evaluated in double, whose fraction bits are then truncated (not rounded) to float.
        static func openCVCubeRoot(_ x: Float) -> Float {
            if x.isNaN { return .nan }
            if x.isInfinite { return x }
            let bits = x.bitPattern
            if bits & 0x7fff_ffff == 0 { return Float(bitPattern: 0) }
            let sign = bits >> 31
            let exponent = Int((bits >> 23) & 0xff) - 127
            var shift = exponent % 3  // truncating remainder, as C's %
            shift -= shift >= 0 ? 3 : 0
            let rootExponent = (exponent - shift) / 3 - 1
            let mantissa = UInt64(bits & 0x7f_ffff) << 29
            let fr = Double(bitPattern: (UInt64(shift + 1023) << 52) | mantissa)
            let a: [UInt64] = [0x4046a09e6653ba70, 0x406808f46c6116e0, 0x405dca97439cae14, 0x402add70d2827500,
                               0x3fc4f15f83f55d2d]
            let b: [UInt64] = [0x402d9e20660edb21, 0x4062ff15c0285815, 0x406510d06a8112ce, 0x4040fecbc9e2c375]
            func d(_ v: UInt64) -> Double { Double(bitPattern: v) }
            let numerator = (((d(a[0]) * fr + d(a[1])) * fr + d(a[2])) * fr + d(a[3])) * fr + d(a[4])
            let denominator = (((d(b[0]) * fr + d(b[1])) * fr + d(b[2])) * fr + d(b[3])) * fr + 1
            let root = numerator / denominator
            let fraction = UInt32(truncatingIfNeeded: (root.bitPattern & ((1 << 52) - 1)) >> 29)
            return Float(bitPattern: sign << 31 | UInt32(rootExponent + 127) << 23 | fraction)
        }
    }
}
