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

    /// Per output index along one axis (those of `indices`, from 0): the first input index, and the normalized
    /// filter weights, `width` slots per index (the first `counts[i]` used) in one flat array, so the passes read
    /// them without per-index arrays.
    struct Taps {
        let start: [Int]
        let counts: [Int]
        let width: Int
        let weights: [Float]

        /// torch's `_compute_weights_aa` with the triangle filter: support 1 (x scale when shrinking), weights
        /// filter((j + xmin - center + 0.5) / scale) normalized to sum 1.
        init(input: Int, output: Int, indices: Range<Int>) {
            let scale = Float(input) / Float(output)
            let support: Float = scale >= 1 ? scale : 1
            let invScale: Float = scale >= 1 ? 1 / scale : 1
            var start: [Int] = [], perIndex: [[Float]] = []
            for i in indices {
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
            var flat = [Float](repeating: 0, count: indices.count * width)
            for (i, w) in perIndex.enumerated() { for (j, v) in w.enumerated() { flat[i * width + j] = v } }
            self.start = start; counts = perIndex.map(\.count); self.width = width; weights = flat
        }

        /// The input indices the taps read.
        var span: Range<Int> {
            guard let first = start.min() else { return 0..<0 }
            return first ..< max(first, zip(start, counts).map { $0 + $1 }.max()!)
        }
    }

    /// Output rows `rows` and columns `columns` of the resize to `size` (all of them by default), as an image of
    /// that window: a center crop after the resize needs only its window's taps. Rows of both passes are
    /// independent, so `split` may hand them to the engine's workers: each output value is the same chain of
    /// multiply-adds however the rows are cut, and the same as in the full resize.
    static func antialiasedBilinear(_ image: RGBImage, to size: (Int, Int), rows: Range<Int>? = nil, columns: Range<Int>? = nil,
                                    split: RangeSplitter = EngineSplit.rows) throws -> RGBImage {
        let rows = rows ?? 0..<size.0, columns = columns ?? 0..<size.1
        precondition(rows.lowerBound >= 0 && rows.upperBound <= size.0 && columns.lowerBound >= 0 && columns.upperBound <= size.1)
        let (h, w) = (image.height, image.width)
        let tx = Taps(input: w, output: size.1, indices: columns), ty = Taps(input: h, output: size.0, indices: rows)
        let (inRows, inColumns) = (ty.span, tx.span)
        let (outH, outW) = (rows.count, columns.count)
        // Horizontal pass over the input rows the vertical taps read, into float rows [inRows, outW, 3]; then the
        // vertical pass, rounded once at the end.
        let rowLength = outW * 3
        var horizontal = [Float](repeating: 0, count: inRows.count * rowLength)
        image.pixels.withUnsafeBufferPointer { src in
            horizontal.withUnsafeMutableBufferPointer { dst in
                tx.weights.withUnsafeBufferPointer { weights in
                    let (src, dst, weights) = (src.baseAddress!, dst.baseAddress!, weights.baseAddress!)
                    split(inRows.count) { ys in
                        // The row's floats, RGB-interleaved, plus one so the last tap's 4-lane load stays inside.
                        let floats = UnsafeMutablePointer<Float>.allocate(capacity: inColumns.count * 3 + 1)
                        defer { floats.deallocate() }
                        floats[inColumns.count * 3] = 0
                        for y in ys {
                            let s = src + ((y + inRows.lowerBound) * w + inColumns.lowerBound) * 3
                            for i in 0..<(inColumns.count * 3) { floats[i] = Float(s[i]) }
                            let d = dst + y * rowLength
                            // The three channels of one output pixel as lanes of one vector: each lane is the
                            // scalar chain acc = fma(p[j], tap[j], acc) from 0.
                            for x in 0..<outW {
                                let p = UnsafeRawPointer(floats + (tx.start[x] - inColumns.lowerBound) * 3)
                                let taps = weights + x * tx.width
                                var acc = SIMD4<Float>()
                                for j in 0..<tx.counts[x] {
                                    acc = acc.addingProduct(p.loadUnaligned(fromByteOffset: 12 * j, as: SIMD4<Float>.self), taps[j])
                                }
                                d[x * 3] = acc[0]; d[x * 3 + 1] = acc[1]; d[x * 3 + 2] = acc[2]
                            }
                        }
                    }
                }
            }
        }
        var pixels = [UInt8](repeating: 0, count: outH * rowLength)
        horizontal.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                ty.weights.withUnsafeBufferPointer { weights in
                    let (src, dst, weights) = (src.baseAddress!, dst.baseAddress!, weights.baseAddress!)
                    split(outH) { ys in
                        for y in ys {
                            let s = src + (ty.start[y] - inRows.lowerBound) * rowLength, taps = weights + y * ty.width
                            let count = ty.counts[y], d = dst + y * rowLength
                            // Eight values of the row at a time, each lane its own chain over the taps.
                            var i = 0
                            while i + 8 <= rowLength {
                                var acc = SIMD8<Float>()
                                for j in 0..<count {
                                    acc = acc.addingProduct(UnsafeRawPointer(s + j * rowLength + i).loadUnaligned(as: SIMD8<Float>.self), taps[j])
                                }
                                // 2^23 + n for the rounded, clamped n: its low bits are n (the stdlib's vector
                                // float-to-integer conversion goes lane by lane through a generic path).
                                let n = pointwiseMin(pointwiseMax(acc.rounded(.toNearestOrEven), SIMD8(repeating: 0)), SIMD8(repeating: 255))
                                let bytes = SIMD8<UInt8>(truncatingIfNeeded: unsafeBitCast(n + SIMD8(repeating: 0x1p23), to: SIMD8<UInt32>.self))
                                UnsafeMutableRawPointer(d + i).storeBytes(of: bytes, as: SIMD8<UInt8>.self)
                                i += 8
                            }
                            for i in i ..< rowLength {
                                var acc: Float = 0
                                for j in 0..<count { acc = multiplyAdd(s[j * rowLength + i], taps[j], acc) }
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
