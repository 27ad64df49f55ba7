/// A 3x3 convolution's weights transformed for Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray,
/// "Fast Algorithms for Convolutional Neural Networks", 2016): U = G g Gᵀ, one [Cout, Cin] matrix per
/// position of the 4x4 transformed tile. Made once at load time.
public struct WinogradWeights: Sendable {
    public let outChannels: Int
    public let inChannels: Int
    /// [16][Cout][Cin]
    let u: [Float]

    /// weight: [Cout, Cin, 3, 3] (groups 1).
    public init(_ weight: Tensor) throws {
        guard weight.rank == 4, weight.shape[2] == 3, weight.shape[3] == 3, weight.shape[0] >= 1, weight.shape[1] >= 1 else {
            throw TensorError.invalidShape(op: "WinogradWeights", message: "weight must be [Cout, Cin, 3, 3], got \(weight.shape)")
        }
        let cout = weight.shape[0], cin = weight.shape[1]
        outChannels = cout; inChannels = cin
        var u = [Float](repeating: 0, count: 16 * cout * cin)
        for co in 0..<cout {
            for ci in 0..<cin {
                let g = Array(weight.storage[((co * cin + ci) * 9)..<((co * cin + ci) * 9 + 9)])
                // G g: 4x3, rows g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2 (over the kernel's rows).
                var gg = [Float](repeating: 0, count: 12)
                for col in 0..<3 {
                    let a = g[col], b = g[3 + col], c = g[6 + col]
                    gg[col] = a; gg[3 + col] = (a + b + c) * 0.5; gg[6 + col] = (a - b + c) * 0.5; gg[9 + col] = c
                }
                // (G g) Gᵀ: the same on the columns.
                for row in 0..<4 {
                    let a = gg[row * 3], b = gg[row * 3 + 1], c = gg[row * 3 + 2]
                    let t = [a, (a + b + c) * 0.5, (a - b + c) * 0.5, c]
                    for col in 0..<4 { u[((row * 4 + col) * cout + co) * cin + ci] = t[col] }
                }
            }
        }
        self.u = u
    }
}

/// conv2d with a 3x3 kernel, stride 1, dilation 1, groups 1 by Winograd F(2x2, 3x3): 2.25x fewer
/// multiplications than direct convolution, as 16 GEMMs per block of tiles. Float32 rounding differs from
/// direct convolution by a few ulp-scale relative errors, so it is for models compared with tolerances
/// (torchvision's detectors), not for bit-exact paths.
///
/// Tiles of all images are cut into fixed blocks (from the shapes alone), so results do not depend on the
/// thread count.
public func winogradConv3x3(_ input: Tensor, weights: WinogradWeights, bias: Tensor? = nil, padding: Int = 1,
                            activation: Activation? = nil) throws -> Tensor {
    let op = "winogradConv3x3"
    let (n, c, h, w) = try input.nchw(op)
    guard c == weights.inChannels else {
        throw TensorError.invalidShape(op: op, message: "input has \(c) channels, weights want \(weights.inChannels)")
    }
    if let bias, bias.shape != [weights.outChannels] {
        throw TensorError.invalidShape(op: op, message: "bias must be [\(weights.outChannels)], got \(bias.shape)")
    }
    guard padding >= 0, padding <= 16 else { throw TensorError.invalidArgument(op: op, message: "padding \(padding) out of 0...16") }
    let oh = h + 2 * padding - 2, ow = w + 2 * padding - 2
    guard oh >= 1, ow >= 1 else {
        throw TensorError.invalidShape(op: op, message: "input \(h)x\(w) with padding \(padding) is smaller than the kernel")
    }
    let cout = weights.outChannels, cin = c
    let tilesX = (ow + 1) / 2, tilesPerImage = ((oh + 1) / 2) * tilesX, total = n * tilesPerImage
    let tilesPerBlock = 256
    let blocks = (total + tilesPerBlock - 1) / tilesPerBlock
    let workers = min(EngineThreads.current, blocks)
    let perWorker = 16 * (cin + cout) * tilesPerBlock
    return Tensor.uninitialized(shape: [n, cout, oh, ow]) { outBuffer in
        let out = outBuffer.baseAddress!
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: perWorker * max(1, workers))
        defer { scratch.deallocate() }
        input.storage.withUnsafeBufferPointer { xb in
            weights.u.withUnsafeBufferPointer { ub in
                let x = xb.baseAddress!, u = ub.baseAddress!
                parallelBlocks(blocks, workers: workers) { worker, block in
                    let t0 = block * tilesPerBlock, count = min(tilesPerBlock, total - t0)
                    let v = scratch + worker * perWorker, m = v + 16 * cin * tilesPerBlock
                    // Input transform: V = Bᵀ d B for each tile's 4x4 patch d, stored [16][Cin][count].
                    for ci in 0..<cin {
                        var j = 0
                        while j < count {
                            let t = t0 + j, image = t / tilesPerImage, r = t % tilesPerImage
                            let tx = r % tilesX
                            let y0 = (r / tilesX) * 2 - padding, x0 = tx * 2 - padding
                            let plane = x + (image * cin + ci) * h * w
                            let dst = v + ci * count + j
                            if j + 16 <= count && tx + 16 <= tilesX && y0 >= 0 && y0 + 4 <= h && x0 >= 0 && x0 + 34 <= w {
                                // 16 neighbouring tiles of one tile row at once: patch column b of tile k is input
                                // column x0 + 2k + b, i.e. the even/odd lanes of two 32-float loads.
                                winogradInputRun(plane + y0 * w + x0, rowStride: w, into: dst, planeStride: cin * count)
                                j += 16
                            } else {
                                var d = SIMD16<Float>()
                                for a in 0..<4 {
                                    let y = y0 + a
                                    for b in 0..<4 {
                                        let xx = x0 + b
                                        d[a * 4 + b] = (y >= 0 && y < h && xx >= 0 && xx < w) ? plane[y * w + xx] : 0
                                    }
                                }
                                let vv = winogradInputTile(d)
                                for xi in 0..<16 { dst[xi * cin * count] = vv[xi] }
                                j += 1
                            }
                        }
                    }
                    // The 16 products M = U V.
                    for xi in 0..<16 {
                        sgemm(m: cout, n: count, k: cin, a: u + xi * cout * cin, lda: cin,
                              b: v + xi * cin * count, ldb: count, c: m + xi * cout * count, ldc: count)
                    }
                    // Output transform: Y = Aᵀ M A, a 2x2 block of outputs per tile.
                    for co in 0..<cout {
                        var j = 0
                        while j < count {
                            let t = t0 + j, image = t / tilesPerImage, r = t % tilesPerImage
                            let tx = r % tilesX
                            let oy = (r / tilesX) * 2, ox = tx * 2
                            let src = m + co * count + j
                            let dst = out + (image * cout + co) * oh * ow + oy * ow + ox
                            if j + 16 <= count && tx + 16 <= tilesX && oy + 2 <= oh && ox + 32 <= ow {
                                winogradOutputRun(src, planeStride: cout * count, into: dst, rowStride: ow)
                                j += 16
                            } else {
                                var s = SIMD16<Float>()
                                for xi in 0..<16 { s[xi] = src[xi * cout * count] }
                                let y = winogradOutputTile(s)
                                for a in 0..<2 where oy + a < oh {
                                    dst[a * ow] = y[a * 2]
                                    if ox + 1 < ow { dst[a * ow + 1] = y[a * 2 + 1] }
                                }
                                j += 1
                            }
                        }
                    }
                }
            }
        }
        if bias != nil || activation != nil {
            let planes = n * cout, plane = oh * ow
            withOptionalPointer(bias?.storage) { b in
                parallelRanges(planes, workers: workerCount(elements: planes * plane, available: EngineThreads.current)) { range in
                    for p in range {
                        Activation.biasAndActivate(out + p * plane, count: plane, bias: b?[p % cout] ?? 0, activation: activation)
                    }
                }
            }
        }
    }
}

/// Bᵀ d B for one 4x4 patch d (row-major), as 16 values in the [16] order of `WinogradWeights`.
@inline(__always)
private func winogradInputTile(_ d: SIMD16<Float>) -> SIMD16<Float> {
    var t = SIMD16<Float>()
    for b in 0..<4 {
        let d0 = d[b], d1 = d[4 + b], d2 = d[8 + b], d3 = d[12 + b]
        t[b] = d0 - d2; t[4 + b] = d1 + d2; t[8 + b] = d2 - d1; t[12 + b] = d1 - d3
    }
    var v = SIMD16<Float>()
    for a in 0..<4 {
        let r0 = t[a * 4], r1 = t[a * 4 + 1], r2 = t[a * 4 + 2], r3 = t[a * 4 + 3]
        v[a * 4] = r0 - r2; v[a * 4 + 1] = r1 + r2; v[a * 4 + 2] = r2 - r1; v[a * 4 + 3] = r1 - r3
    }
    return v
}

/// Aᵀ s A for one tile's 16 products: the 2x2 outputs, row-major.
@inline(__always)
private func winogradOutputTile(_ s: SIMD16<Float>) -> SIMD4<Float> {
    var q = SIMD8<Float>()
    for b in 0..<4 {
        q[b] = s[b] + s[4 + b] + s[8 + b]
        q[4 + b] = s[4 + b] - s[8 + b] - s[12 + b]
    }
    return SIMD4(q[0] + q[1] + q[2], q[1] - q[2] - q[3], q[4] + q[5] + q[6], q[5] - q[6] - q[7])
}

/// The input transform of 16 horizontally adjacent tiles (same arithmetic as `winogradInputTile`, one lane
/// per tile). `src` is the top-left input of the first tile; 4 rows of 34 floats are read. Writes 16 rows of
/// 16 floats, `planeStride` apart.
@inline(__always)
private func winogradInputRun(_ src: UnsafePointer<Float>, rowStride: Int, into dst: UnsafeMutablePointer<Float>,
                              planeStride: Int) {
    typealias V = SIMD16<Float>
    // Patch column b of tile k is input column 2k + b: even/odd lanes of loads at +0 and +2 floats.
    func columns(_ a: Int) -> (V, V, V, V) {
        let row = UnsafeRawPointer(src + a * rowStride)
        let lo = row.loadUnaligned(as: SIMD32<Float>.self)
        let hi = (row + 2 * MemoryLayout<Float>.stride).loadUnaligned(as: SIMD32<Float>.self)
        return (lo.evenHalf, lo.oddHalf, hi.evenHalf, hi.oddHalf)
    }
    let d0 = columns(0), d1 = columns(1), d2 = columns(2), d3 = columns(3)
    @inline(__always) func store(_ a: Int, _ r0: V, _ r1: V, _ r2: V, _ r3: V) {
        let p = UnsafeMutableRawPointer(dst + a * 4 * planeStride)
        let step = planeStride * MemoryLayout<Float>.stride
        p.storeBytes(of: r0 - r2, as: V.self)
        (p + step).storeBytes(of: r1 + r2, as: V.self)
        (p + 2 * step).storeBytes(of: r2 - r1, as: V.self)
        (p + 3 * step).storeBytes(of: r1 - r3, as: V.self)
    }
    // Rows of Bᵀ d, each then multiplied by B.
    store(0, d0.0 - d2.0, d0.1 - d2.1, d0.2 - d2.2, d0.3 - d2.3)
    store(1, d1.0 + d2.0, d1.1 + d2.1, d1.2 + d2.2, d1.3 + d2.3)
    store(2, d2.0 - d1.0, d2.1 - d1.1, d2.2 - d1.2, d2.3 - d1.3)
    store(3, d1.0 - d3.0, d1.1 - d3.1, d1.2 - d3.2, d1.3 - d3.3)
}

/// The output transform of 16 horizontally adjacent tiles: reads 16 rows of 16 products `planeStride` apart,
/// writes 2 output rows of 32 floats (`rowStride` apart).
@inline(__always)
private func winogradOutputRun(_ src: UnsafePointer<Float>, planeStride: Int, into dst: UnsafeMutablePointer<Float>,
                               rowStride: Int) {
    typealias V = SIMD16<Float>
    @inline(__always) func load(_ i: Int) -> V { UnsafeRawPointer(src + i * planeStride).loadUnaligned(as: V.self) }
    @inline(__always) func row(_ b: Int) -> (V, V) {
        let s0 = load(b), s1 = load(4 + b), s2 = load(8 + b), s3 = load(12 + b)
        return (s0 + s1 + s2, s1 - s2 - s3)
    }
    let c0 = row(0), c1 = row(1), c2 = row(2), c3 = row(3)
    @inline(__always) func store(_ a: Int, _ q0: V, _ q1: V, _ q2: V, _ q3: V) {
        let even = q0 + q1 + q2, odd = q1 - q2 - q3
        var out = SIMD32<Float>()
        for k in 0..<16 { out[2 * k] = even[k]; out[2 * k + 1] = odd[k] }
        UnsafeMutableRawPointer(dst + a * rowStride).storeBytes(of: out, as: SIMD32<Float>.self)
    }
    store(0, c0.0, c1.0, c2.0, c3.0)
    store(1, c0.1, c1.1, c2.1, c3.1)
}
