/// Resizes with bilinear interpolation, bit-exact with OpenCV's
/// `cv2.resize(img, (width, height), interpolation=cv2.INTER_LINEAR)` for 8-bit RGB:
/// 11-bit fixed-point weights rounded from float, a horizontal pass into Int32 rows, and
/// the vertical pass with the rounding of OpenCV's SIMD kernel (which its scalar tail
/// reproduces): `((b0*(S0>>4))>>16 + (b1*(S1>>4))>>16 + 2) >> 2`. As in OpenCV, an exact
/// 2x downscale in both directions takes the INTER_AREA path (rounded 2x2 mean).
/// `split` may run the output rows in parallel slices (the result does not depend on it).
public func resizeBilinear(_ image: RGBImage, width: Int, height: Int, split: RangeSplitter = serialSplit) -> RGBImage {
    precondition(width > 0 && height > 0, "resize target must be positive, got \(width)x\(height)")
    let srcW = image.width, srcH = image.height
    if srcW == width && srcH == height { return image }
    let scaleX = 1.0 / (Double(width) / Double(srcW)), scaleY = 1.0 / (Double(height) / Double(srcH))
    let isExactHalf = abs(scaleX - 2) < Double.ulpOfOne && abs(scaleY - 2) < Double.ulpOfOne
    let pixels = isExactHalf
        ? halveArea(image)
        : resizeLinearFixedPoint(image, width: width, height: height, scaleX: scaleX, scaleY: scaleY, split: split)
    return RGBImage(uncheckedWidth: width, height: height, pixels: pixels)
}

/// One output coordinate's source taps and 11-bit weights.
private struct LinearTaps {
    var first: [Int]      // source index of the left/top tap
    var second: [Int]     // source index of the right/bottom tap
    var weight0: [Int32]
    var weight1: [Int32]
}

/// OpenCV's coefficient table: fx = float((d + 0.5) * scale - 0.5), sx = floor(fx),
/// weights = saturate_cast<short>((1 - fx) * 2048) and (fx * 2048), i.e. round half to even.
/// `clampWeights` is the horizontal rule (at the borders the weight collapses onto one tap);
/// vertically OpenCV keeps the fractional weight and clamps only the row indices.
private func linearTaps(source: Int, destination: Int, scale: Double, clampWeights: Bool) -> LinearTaps {
    var taps = LinearTaps(first: [], second: [], weight0: [], weight1: [])
    taps.first.reserveCapacity(destination); taps.second.reserveCapacity(destination)
    taps.weight0.reserveCapacity(destination); taps.weight1.reserveCapacity(destination)
    for d in 0 ..< destination {
        var f = Float((Double(d) + 0.5) * scale - 0.5)
        var s = Int(f.rounded(.down))
        f -= Float(s)
        if clampWeights {
            if s < 0 { f = 0; s = 0 }
            if s >= source - 1 { f = 0; s = source - 1 }
        }
        taps.first.append(min(max(s, 0), source - 1))
        taps.second.append(min(max(s + 1, 0), source - 1))
        taps.weight0.append(Int32(((1 - f) * 2048).rounded(.toNearestOrEven)))
        taps.weight1.append(Int32((f * 2048).rounded(.toNearestOrEven)))
    }
    return taps
}

private func resizeLinearFixedPoint(_ image: RGBImage, width: Int, height: Int,
                                    scaleX: Double, scaleY: Double, split: RangeSplitter) -> [UInt8] {
    let srcW = image.width, srcH = image.height
    let xt = linearTaps(source: srcW, destination: width, scale: scaleX, clampWeights: true)
    let yt = linearTaps(source: srcH, destination: height, scale: scaleY, clampWeights: false)
    let rowLength = width * 3
    // Byte offsets of both horizontal taps, so the inner loop does no multiplications.
    let xOffset0 = xt.first.map { $0 * 3 }, xOffset1 = xt.second.map { $0 * 3 }

    return image.pixels.withUnsafeBufferPointer { srcBuffer in
        makeBytes(count: rowLength * height) { dstBuffer in
            let src = srcBuffer.baseAddress!, dst = dstBuffer.baseAddress!
            xOffset0.withUnsafeBufferPointer { o0 in
            xOffset1.withUnsafeBufferPointer { o1 in
            xt.weight0.withUnsafeBufferPointer { a0 in
            xt.weight1.withUnsafeBufferPointer { a1 in
                func horizontal(_ sourceRow: Int, into row: UnsafeMutablePointer<Int32>) {
                    let s = src + sourceRow * srcW * 3
                    var i = 0
                    for dx in 0 ..< width {
                        let p = s + o0[dx], q = s + o1[dx]
                        let w0 = a0[dx], w1 = a1[dx]
                        row[i] = Int32(p[0]) * w0 + Int32(q[0]) * w1
                        row[i + 1] = Int32(p[1]) * w0 + Int32(q[1]) * w1
                        row[i + 2] = Int32(p[2]) * w0 + Int32(q[2]) * w1
                        i += 3
                    }
                }
                split(height) { slice in
                // Each slice keeps its own two horizontally filtered source rows.
                let buffers = UnsafeMutablePointer<Int32>.allocate(capacity: rowLength * 2)
                defer { buffers.deallocate() }
                let rows = [buffers, buffers + rowLength]
                var cached = [-1, -1]  // source row held by each buffer
                for dy in slice {
                    let r0 = yt.first[dy], r1 = yt.second[dy]
                    var i0 = cached[0] == r0 ? 0 : (cached[1] == r0 ? 1 : -1)
                    if i0 < 0 {
                        i0 = cached[0] == r1 ? 1 : 0  // keep a cached r1
                        horizontal(r0, into: rows[i0]); cached[i0] = r0
                    }
                    var i1 = cached[0] == r1 ? 0 : (cached[1] == r1 ? 1 : -1)
                    if i1 < 0 {
                        i1 = 1 - i0
                        horizontal(r1, into: rows[i1]); cached[i1] = r1
                    }
                    let s0 = rows[i0], s1 = rows[i1]
                    let b0 = yt.weight0[dy], b1 = yt.weight1[dy]
                    let out = dst + dy * rowLength
                    for x in 0 ..< rowLength {
                        let v = ((b0 &* (s0[x] &>> 4)) &>> 16) &+ ((b1 &* (s1[x] &>> 4)) &>> 16)
                        out[x] = UInt8(clamping: (v &+ 2) &>> 2)
                    }
                }
                }
            }
            }
            }
            }
        }
    }
}

/// OpenCV's INTER_AREA for an exact 2x downscale: (a + b + c + d + 2) >> 2 per channel.
private func halveArea(_ image: RGBImage) -> [UInt8] {
    let width = image.width / 2, height = image.height / 2
    let srcRow = image.width * 3, rowLength = width * 3
    return image.pixels.withUnsafeBufferPointer { srcBuffer in
        makeBytes(count: rowLength * height) { dstBuffer in
            let src = srcBuffer.baseAddress!, dst = dstBuffer.baseAddress!
            for y in 0 ..< height {
                let top = src + 2 * y * srcRow, bottom = top + srcRow
                let out = dst + y * rowLength
                for x in 0 ..< width {
                    for c in 0 ..< 3 {
                        let i = 6 * x + c
                        let sum = Int(top[i]) + Int(top[i + 3]) + Int(bottom[i]) + Int(bottom[i + 3])
                        out[3 * x + c] = UInt8(truncatingIfNeeded: (sum + 2) >> 2)
                    }
                }
            }
        }
    }
}

/// Runs `body` over slices covering 0..<count, possibly at once on several threads (the engine's pool, passed in
/// by callers that have one); image operations give the same result for any split.
public typealias RangeSplitter = (_ count: Int, _ body: (Range<Int>) -> Void) -> Void

/// All of 0..<count as one slice, on the calling thread.
public func serialSplit(_ count: Int, _ body: (Range<Int>) -> Void) { body(0..<count) }
