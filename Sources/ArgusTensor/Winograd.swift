import CKernels

/// A 3x3 convolution's weights transformed for Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray,
/// "Fast Algorithms for Convolutional Neural Networks", 2016): U = G g Gᵀ, one [Cout, Cin] matrix per
/// position of the 4x4 transformed tile. Made once at load time.
public struct WinogradWeights: Sendable {
    public let outChannels: Int
    public let inChannels: Int
    /// U = G g Gᵀ as 16 matrices [Cout][Cin], packed for the convolution GEMM at load.
    let u: PackedOwner

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
        self.u = u.withUnsafeBufferPointer { PackedOwner(PackedWeights($0.baseAddress!, m: cout, k: cin, groups: 16)) }
    }
}

/// Owns packed weights shared by copies of a value type, freeing them with the last copy.
final class PackedOwner: @unchecked Sendable {
    let weights: PackedWeights
    init(_ weights: PackedWeights) { self.weights = weights }
    deinit { weights.deallocate() }
}

/// conv2d with a 3x3 kernel, stride 1, dilation 1, groups 1 by Winograd F(2x2, 3x3): 2.25x fewer
/// multiplications than direct convolution, as 16 GEMMs per block of tiles. Float32 rounding differs from
/// direct convolution by a few ulp-scale relative errors, so it is for models compared with tolerances
/// (torchvision's detectors), not for bit-exact paths.
///
/// Tiles of all images are cut into fixed blocks (from the shapes alone), so results do not depend on the
/// thread count; with fewer than `winogradFewTiles` tiles every step is split by channels instead.
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
    let cout = weights.outChannels, tilesX = (ow + 1) / 2, tilesPerImage = ((oh + 1) / 2) * tilesX
    let tiles = WinogradTiles(cin: c, cout: cout, h: h, w: w, padding: padding, oh: oh, ow: ow, tilesX: tilesX,
                              tilesPerImage: tilesPerImage, total: n * tilesPerImage)
    return Tensor.uninitialized(shape: [n, cout, oh, ow]) { outBuffer in
        let out = outBuffer.baseAddress!
        input.storage.withUnsafeBufferPointer { xb in
            if tiles.total < winogradFewTiles {
                winogradWhole(tiles, x: xb.baseAddress!, u: weights.u.weights, out: out)
            } else {
                winogradBlocks(tiles, x: xb.baseAddress!, u: weights.u.weights, out: out)
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

/// Below this many tiles (four blocks of 16) a conv is transformed and multiplied whole, split by channels.
let winogradFewTiles = 64

/// A Winograd conv's sizes: channels, the (padded) input and output planes, and its 2x2 output tiles (tile t is
/// image t / tilesPerImage, tile row and column of t % tilesPerImage over tilesX columns).
struct WinogradTiles {
    let cin: Int, cout: Int, h: Int, w: Int, padding: Int, oh: Int, ow: Int
    let tilesX: Int, tilesPerImage: Int, total: Int
}

/// Blocks of up to 256 tiles, at least 4 (a multiple of 4) of equal size, so 1, 2 and 4 workers share them evenly
/// (the cut follows from the shapes alone); each worker transforms, multiplies and transforms back one block at a time.
private func winogradBlocks(_ t: WinogradTiles, x: UnsafePointer<Float>, u: PackedWeights,
                            out: UnsafeMutablePointer<Float>) {
    let (cin, cout) = (t.cin, t.cout)
    let avx512: Int32 = ConvGEMM.avx512 ? 1 : 0
    let blockCount = (max(4, (t.total + 255) / 256) + 3) / 4 * 4
    let tilesPerBlock = max(16, (t.total + blockCount - 1) / blockCount)
    let blocks = (t.total + tilesPerBlock - 1) / tilesPerBlock
    let workers = min(EngineThreads.current, blocks)
    let perWorker = 16 * (cin + cout) * tilesPerBlock
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: perWorker * max(1, workers))
    defer { scratch.deallocate() }
    parallelBlocks(blocks, workers: workers) { worker, block in
        let t0 = block * tilesPerBlock, count = min(tilesPerBlock, t.total - t0)
        let v = scratch + worker * perWorker, m = v + 16 * cin * tilesPerBlock
        // Input transform: V = Bᵀ d B for each tile's 4x4 patch d, stored [16][Cin][count].
        argus_winograd_input(avx512, x, cin, 0, cin, t.h, t.w, t.padding, t.tilesX, t.tilesPerImage, t0, count, v)
        // The 16 products M = U V, on the convolution GEMM (its packed panels; OpenBLAS's copies and beta pass cost
        // more than the product on these narrow blocks).
        for xi in 0..<16 {
            ConvGEMM.multiply(u, group: xi, rows: 0..<cout, n: count, b: v + xi * cin * count, ldb: count,
                              c: m + xi * cout * count, ldc: count, bias: nil, activation: nil)
        }
        // Output transform: Y = Aᵀ M A, a 2x2 block of outputs per tile.
        argus_winograd_output(avx512, m, cout, 0, cout, count, t0, t.tilesX, t.tilesPerImage, t.oh, t.ow, out)
    }
}

/// Too few tiles for blocks of 16 to keep the workers busy (ResNet's 14x14 and 7x7 stages at 224 px): all tiles at
/// once, the transforms split by channels and the products by (position, output-channel slice).
private func winogradWhole(_ t: WinogradTiles, x: UnsafePointer<Float>, u: PackedWeights,
                           out: UnsafeMutablePointer<Float>) {
    let (cin, cout, total) = (t.cin, t.cout, t.total)
    let avx512: Int32 = ConvGEMM.avx512 ? 1 : 0
    let threads = EngineThreads.current
    let v = UnsafeMutablePointer<Float>.allocate(capacity: 16 * (cin + cout) * total)
    defer { v.deallocate() }
    let m = v + 16 * cin * total
    parallelRanges(cin, workers: workerCount(elements: 16 * cin * total, available: threads)) { r in
        argus_winograd_input(avx512, x, cin, r.lowerBound, r.upperBound, t.h, t.w, t.padding, t.tilesX,
                             t.tilesPerImage, 0, total, v)
    }
    let slices = min(ConvPartition.blockMultiple, (cout + ConvGEMM.panelRows - 1) / ConvGEMM.panelRows)
    parallelBlocks(16 * slices, workers: threads) { _, unit in
        let xi = unit / slices, rows = ConvPartition.rowSlice(unit % slices, of: slices, m: cout)
        guard !rows.isEmpty else { return }
        ConvGEMM.multiply(u, group: xi, rows: rows, n: total, b: v + xi * cin * total, ldb: total,
                          c: m + xi * cout * total, ldc: total, bias: nil, activation: nil)
    }
    parallelRanges(cout, workers: workerCount(elements: 16 * cout * total, available: threads)) { r in
        argus_winograd_output(avx512, m, cout, r.lowerBound, r.upperBound, total, 0, t.tilesX, t.tilesPerImage,
                              t.oh, t.ow, out)
    }
}
