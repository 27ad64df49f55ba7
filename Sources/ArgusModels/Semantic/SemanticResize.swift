import ArgusImage
import ArgusTensor

/// The resize of torchvision's SemanticSegmentation preset on an image tensor: F.resize(img, [short],
/// bilinear, antialias=True), i.e. the 8-bit image cast to float32, torch's separable antialiased bilinear
/// filter (`_upsample_bilinear2d_aa`: horizontal pass, then vertical), rounded half to even back to 8 bits (no clamping needed: the weights are non-negative and sum to 1).
enum SemanticResize {
    /// torchvision's `_compute_resized_output_size(size=[short])`: the short side becomes `shortSide`, the long
    /// side int(shortSide * long / short) (Python floats).
    static func resizedSize(height: Int, width: Int, shortSide: Int) -> (Int, Int) {
        let long = Int((Double(shortSide) * Double(max(height, width)) / Double(min(height, width))).rounded(.towardZero))
        return width <= height ? (max(long, 1), shortSide) : (shortSide, max(long, 1))
    }

    /// Per output index along one axis: the first input index, and the normalized filter weights, `width` slots
    /// per index (the first `counts[i]` used) in one flat array, so the passes read them without per-index arrays.
    struct Taps {
        let start: [Int]
        let counts: [Int]
        let width: Int
        let weights: [Float]

        /// torch's `_compute_weights_aa` with the triangle filter: support 1 (x scale when shrinking), weights
        /// filter((j + xmin - center + 0.5) / scale) normalized to sum 1.
        init(input: Int, output: Int) {
            let scale = Float(input) / Float(output)
            let support: Float = scale >= 1 ? scale : 1
            let invScale: Float = scale >= 1 ? 1 / scale : 1
            var start: [Int] = [], perIndex: [[Float]] = []
            for i in 0..<output {
                let center = Float(Double(scale) * (Double(i) + 0.5))
                let xmin = max(Int(Double(center - support) + 0.5), 0)
                let xmax = min(Int(Double(center + support) + 0.5), input)
                var w: [Float] = []
                var total: Float = 0
                for j in 0..<max(xmax - xmin, 0) {
                    let x = Float((Double(Float(j + xmin) - center) + 0.5) * Double(invScale))
                    let v = max(0, 1 - abs(x))
                    w.append(v); total += v
                }
                if total != 0 { w = w.map { $0 / total } }
                start.append(xmin); perIndex.append(w)
            }
            let width = perIndex.map(\.count).max() ?? 0
            var flat = [Float](repeating: 0, count: output * width)
            for (i, w) in perIndex.enumerated() { for (j, v) in w.enumerated() { flat[i * width + j] = v } }
            self.start = start; counts = perIndex.map(\.count); self.width = width; weights = flat
        }
    }

    /// Rows of both passes are independent, so `split` may hand them to the engine's workers: each output value is
    /// the same chain of multiply-adds however the rows are cut.
    static func antialiasedBilinear(_ image: RGBImage, to size: (Int, Int),
                                    split: RangeSplitter = EngineSplit.rows) throws -> RGBImage {
        let (outH, outW) = size
        let (h, w) = (image.height, image.width)
        let tx = Taps(input: w, output: outW), ty = Taps(input: h, output: outH)
        // Horizontal pass into float rows [h, outW, 3], then the vertical pass, rounded once at the end.
        var rows = [Float](repeating: 0, count: h * outW * 3)
        image.pixels.withUnsafeBufferPointer { src in
            rows.withUnsafeMutableBufferPointer { dst in
                tx.weights.withUnsafeBufferPointer { weights in
                    let (src, dst, weights) = (src.baseAddress!, dst.baseAddress!, weights.baseAddress!)
                    split(h) { ys in
                        for y in ys {
                            let s = src + y * w * 3, d = dst + y * outW * 3
                            for x in 0..<outW {
                                let p = s + tx.start[x] * 3, taps = weights + x * tx.width, count = tx.counts[x]
                                for c in 0..<3 {
                                    var acc: Float = 0
                                    for j in 0..<count { acc = multiplyAdd(Float(p[j * 3 + c]), taps[j], acc) }
                                    d[x * 3 + c] = acc
                                }
                            }
                        }
                    }
                }
            }
        }
        var pixels = [UInt8](repeating: 0, count: outH * outW * 3)
        rows.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                ty.weights.withUnsafeBufferPointer { weights in
                    let (src, dst, weights) = (src.baseAddress!, dst.baseAddress!, weights.baseAddress!)
                    split(outH) { ys in
                        for y in ys {
                            let s = src + ty.start[y] * outW * 3, taps = weights + y * ty.width, count = ty.counts[y]
                            let d = dst + y * outW * 3
                            for i in 0..<(outW * 3) {
                                var acc: Float = 0
                                for j in 0..<count { acc = multiplyAdd(s[j * outW * 3 + i], taps[j], acc) }
                                d[i] = UInt8(min(max(acc.rounded(.toNearestOrEven), 0), 255))
                            }
                        }
                    }
                }
            }
        }
        return try RGBImage(width: outW, height: outH, pixels: pixels)
    }

    /// c + a * b rounded once, as torch's AVX2 build contracts its loops. (Emulated in numpy against torch 2.13 on
    /// two coco128 images at short sides 96, 160, 200, 700: one byte in one of the eight resizes rounds the
    /// other way, fewer than with unfused products; torch's exact per-pass arithmetic was not pinned down.)
    @inline(__always)
    static func multiplyAdd(_ a: Float, _ b: Float, _ c: Float) -> Float { c.addingProduct(a, b) }
}
