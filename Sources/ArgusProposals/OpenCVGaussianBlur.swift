import Foundation

/// `cv::GaussianBlur(src, dst, Size(0, 0), sigma, sigma)` on an interleaved float image (CV_32FCn), bit for bit as
/// OpenCV 4.x/5.x computes it on an x86-64 CPU with AVX2 + FMA (the dispatch OpenCV picks there), with its default
/// border `BORDER_REFLECT_101`.
///
/// What decides the bits, each measured against `cv2.GaussianBlur` (tools/gen_selective_search_fixtures.py):
/// - Kernel size `cvRound(sigma * 8 + 1) | 1` (float images use 4 sigma), forced to 1 along an axis of length 1.
/// - Kernel values: OpenCV evaluates the Gaussian in (soft) double, normalizes, then rounds to float.
/// - Rows first, then columns, into a float buffer. For kernels of 7 taps or more OpenCV uses its generic row
///   filter and its symmetric column filter; their float rounding depends on where an element falls in the row:
///   - row filter: elements covered by its 8- and 4-lane vector loops accumulate `k[0]*x[0]` then one fused
///     multiply-add per tap; the scalar tail (fewer than 4 elements) was compiled with the tap loop unrolled by 4,
///     whose body multiplies and adds separately and whose remainder ((taps - 1) % 4 taps) is fused;
///   - column filter: `k[0]*c` then, per tap pair, `fma(up + down, k[i], s)` in the 16- and 8-lane loops; the
///     4-lane loop and the scalar tail multiply and add separately.
///   Row elements are `x * channels + c`, so which pixels land in a tail depends on `width * channels`.
///   (Images of 1M+ pixels are filtered by OpenCV in tiles 64 or 128 pixels wide on several threads; a tile row is
///   then a multiple of 16 elements, so every element stays in the same loop and the result is the same.)
/// Kernels of 3 and 5 taps (sigma below 0.5625) take OpenCV's "small symmetric" filters, which round differently:
/// they are not reproduced here (see `isBitExact`).
enum OpenCVGaussianBlur {
    /// The kernel size OpenCV derives from sigma for a float image.
    static func kernelSize(sigma: Double) -> Int {
        Int((sigma * 4 * 2 + 1).rounded(.toNearestOrEven)) | 1
    }

    /// Whether `blur` reproduces OpenCV bit for bit for this sigma (kernels of 7 taps or more; any image size).
    static func isBitExact(sigma: Double) -> Bool { kernelSize(sigma: sigma) >= 7 }

    /// `cv::getGaussianKernel(n, sigma, CV_32F)`: exp(-x^2 / (2 sigma^2)) in double, normalized to sum 1, then
    /// rounded to float. (OpenCV uses its own soft-double `exp`; the float results agree for the sigmas tested.)
    static func kernel(size n: Int, sigma: Double) -> [Float] {
        precondition(n > 0)
        let half = (n - 1) / 2
        let scale2X = -0.125 / (sigma * sigma)  // x below is twice the offset from the centre
        var values = [Double](repeating: 0, count: half)
        var sum = 0.0
        var x = 1 - n
        for i in 0 ..< half {
            let t = Foundation.exp(Double(x * x) * scale2X)
            values[i] = t
            sum += t
            x += 2
        }
        sum *= 2
        sum += 1
        if n % 2 == 0 { sum += 1 }
        let inverse = 1 / sum
        var result = [Float](repeating: 0, count: n)
        for i in 0 ..< half {
            let t = Float(values[i] * inverse)
            result[i] = t
            result[n - 1 - i] = t
        }
        result[half] = Float(inverse)
        if n % 2 == 0 { result[half + 1] = result[half] }
        return result
    }

    /// `borderInterpolate(p, length, BORDER_REFLECT_101)`.
    @inline(__always)
    static func reflect101(_ p: Int, _ length: Int) -> Int {
        if length == 1 { return 0 }
        var p = p
        while p < 0 || p >= length { p = p < 0 ? -p : 2 * length - 2 - p }
        return p
    }

    /// Blurs `src` (height rows of width * channels floats) and returns the result in the same layout.
    static func blur(_ src: [Float], width: Int, height: Int, channels: Int, sigma: Double) -> [Float] {
        precondition(src.count == width * height * channels)
        let size = kernelSize(sigma: sigma)
        let kernel = self.kernel(size: size, sigma: sigma)
        // OpenCV drops the kernel along an axis of length 1 (a 1-tap kernel of value 1: an exact copy).
        let kx = width == 1 ? [Float(1)] : kernel
        let ky = height == 1 ? [Float(1)] : kernel
        if kx.count == 1 && ky.count == 1 { return src }
        let rowStride = width * channels
        var rows = [Float](repeating: 0, count: src.count)
        src.withUnsafeBufferPointer { s in
            rows.withUnsafeMutableBufferPointer { r in
                filterRows(s.baseAddress!, r.baseAddress!, width: width, height: height, channels: channels, kernel: kx)
            }
        }
        if ky.count == 1 { return rows }
        var out = [Float](repeating: 0, count: src.count)
        rows.withUnsafeBufferPointer { r in
            out.withUnsafeMutableBufferPointer { o in
                filterColumns(r.baseAddress!, o.baseAddress!, rowStride: rowStride, height: height, kernel: ky)
            }
        }
        return out
    }

    /// The horizontal pass: `dst[y][e] = sum_i k[i] * src[y][x - r + i][c]` for element e = x * channels + c.
    private static func filterRows(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                   width: Int, height: Int, channels cn: Int, kernel: [Float]) {
        let taps = kernel.count, radius = taps / 2
        let rowCount = width * cn
        if taps == 1 {
            for i in 0 ..< rowCount * height { dst[i] = src[i] * kernel[0] }
            return
        }
        // Vector loops: 8 lanes, then 4 lanes; the rest is the scalar tail.
        var vectorEnd = rowCount / 8 * 8
        vectorEnd += (rowCount - vectorEnd) / 4 * 4
        // In the scalar tail the first taps - 1 - remainder taps are multiplied and added separately.
        let fusedFrom = taps - (taps - 1) % 4
        let extendedCount = (width + 2 * radius) * cn
        let extended = UnsafeMutablePointer<Float>.allocate(capacity: extendedCount)
        defer { extended.deallocate() }
        // Source pixel of each extended position (reflect-101 at both ends).
        var sourcePixel = [Int](repeating: 0, count: width + 2 * radius)
        for i in 0 ..< width + 2 * radius { sourcePixel[i] = reflect101(i - radius, width) }
        kernel.withUnsafeBufferPointer { kp in
            let k = kp.baseAddress!
            for y in 0 ..< height {
                let row = src + y * rowCount
                for i in 0 ..< width + 2 * radius {
                    let from = row + sourcePixel[i] * cn
                    for c in 0 ..< cn { extended[i * cn + c] = from[c] }
                }
                let out = dst + y * rowCount
                for e in 0 ..< vectorEnd {
                    let x = extended + e
                    var s = x[0] * k[0]
                    for i in 1 ..< taps { s = s.addingProduct(x[i * cn], k[i]) }
                    out[e] = s
                }
                for e in vectorEnd ..< rowCount {
                    let x = extended + e
                    var s = x[0] * k[0]
                    for i in 1 ..< fusedFrom { s = s + x[i * cn] * k[i] }
                    for i in fusedFrom ..< taps { s = s.addingProduct(x[i * cn], k[i]) }
                    out[e] = s
                }
            }
        }
    }

    /// The vertical pass with a symmetric kernel: `k[r] * c + sum_i k[r + i] * (up_i + down_i)`.
    private static func filterColumns(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                      rowStride: Int, height: Int, kernel: [Float]) {
        let radius = kernel.count / 2
        // Vector loops: 16 lanes, then 8 lanes (fused); the 4-lane loop and the scalar tail are not fused.
        var fusedEnd = rowStride / 16 * 16
        fusedEnd += (rowStride - fusedEnd) / 8 * 8
        var up = [UnsafePointer<Float>](repeating: src, count: radius + 1)
        var down = [UnsafePointer<Float>](repeating: src, count: radius + 1)
        kernel.withUnsafeBufferPointer { kp in
            let k = kp.baseAddress! + radius
            for y in 0 ..< height {
                for i in 0 ... radius {
                    up[i] = src + reflect101(y - i, height) * rowStride
                    down[i] = src + reflect101(y + i, height) * rowStride
                }
                let center = up[0]
                let out = dst + y * rowStride
                for e in 0 ..< fusedEnd {
                    var s = center[e] * k[0]
                    for i in 1 ... radius { s = s.addingProduct(down[i][e] + up[i][e], k[i]) }
                    out[e] = s
                }
                for e in fusedEnd ..< rowStride {
                    var s = center[e] * k[0]
                    for i in 1 ... radius { s = s + (down[i][e] + up[i][e]) * k[i] }
                    out[e] = s
                }
            }
        }
    }
}
