/// 2-D convolution over an NCHW batch with torch.nn.functional.conv2d semantics
/// (zero padding, dilation, groups), with the bias add and an optional activation fused into
/// one pass over the output while it is still in cache.
///
/// - weight: [Cout, Cin / groups, kH, kW]; bias: [Cout].
/// - Paths: 1x1 stride-1 unpadded = GEMM straight on the input; depthwise (groups == Cin == Cout)
///   = direct loop; ungrouped dilated = tap by tap over the output regions each tap reads the image for
///   (`TapRegions`); anything else = im2col (in cache-sized chunks of output rows, or whole for small
///   planes) + GEMM per group.
/// - GEMM: `ConvGEMM` on `ConvWeights` (packed once; per call with a plain weight tensor), bias and activation
///   applied as tiles are stored.
/// - Threads: each conv is cut into blocks by `ConvPartition` (from the shapes alone) and the blocks
///   run on `EngineThreads.current` workers.
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil,
                   stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1,
                   activation: Activation? = nil) throws -> Tensor {
    try conv2d(input, weight: weight, bias: bias, stride: (stride, stride), padding: (padding, padding),
               dilation: (dilation, dilation), groups: groups, activation: activation)
}

/// conv2d with separate (height, width) stride, padding and dilation.
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil,
                   stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int) = (1, 1), groups: Int = 1,
                   activation: Activation? = nil) throws -> Tensor {
    try conv2d(input, weights: ConvWeights(weight, groups: groups, dilation: max(dilation.0, dilation.1)), bias: bias,
               stride: stride, padding: padding, dilation: dilation, activation: activation)
}

/// conv2d with weights prepared once (`ConvWeights`, made at load): no per-call packing.
public func conv2d(_ input: Tensor, weights: ConvWeights, bias: Tensor? = nil,
                   stride: Int = 1, padding: Int = 0, dilation: Int = 1, activation: Activation? = nil) throws -> Tensor {
    try conv2d(input, weights: weights, bias: bias, stride: (stride, stride), padding: (padding, padding),
               dilation: (dilation, dilation), activation: activation)
}

/// conv2d with prepared weights and separate (height, width) stride, padding and dilation.
public func conv2d(_ input: Tensor, weights: ConvWeights, bias: Tensor? = nil,
                   stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int) = (1, 1),
                   activation: Activation? = nil) throws -> Tensor {
    let g = try ConvGeometry(input: input.shape, weight: weights.weight.shape, bias: bias?.shape,
                             stride: stride, padding: padding, dilation: dilation, groups: weights.groups)
    return Tensor.uninitialized(shape: [g.batch, g.outChannels, g.outH, g.outW]) { out in
        input.storage.withUnsafeBufferPointer { x in
            weights.weight.storage.withUnsafeBufferPointer { w in
                withOptionalPointer(bias?.storage) { b in
                    if weights.tapMajor, let packed = weights.packed {
                        runTapConv(x.baseAddress!, packed, b, g, activation, out.baseAddress!)
                    } else {
                        runConv(x.baseAddress!, w.baseAddress!, weights.packed, b, g, activation, out.baseAddress!)
                    }
                }
            }
        }
    }
}

/// A convolution's weight [Cout, Cin / groups, kH, kW] with its GEMM packing (`PackedWeights`) made once, so
/// each call starts multiplying at once. Depthwise filters need no packing.
public final class ConvWeights: @unchecked Sendable {  // immutable after init
    public let weight: Tensor
    public let groups: Int
    let packed: PackedWeights?
    /// Packed tap-major for `TapRegions` (ungrouped kxk filters made for dilation > 1): convs with these weights
    /// leave out the taps that read only padding.
    let tapMajor: Bool

    /// `dilation`: the dilation the conv will run with; above 1 (ungrouped, kernel larger than 1x1) the weights
    /// are packed for `TapRegions`.
    public init(_ weight: Tensor, groups: Int = 1, dilation: Int = 1) throws {
        let s = weight.shape
        guard s.count == 4, s.allSatisfy({ $0 >= 1 }), groups >= 1, s[0] % groups == 0, dilation >= 1 else {
            throw TensorError.invalidShape(op: "conv2d", message: "weight \(s) with groups \(groups), dilation \(dilation)")
        }
        self.weight = weight
        self.groups = groups
        let depthwise = s[1] == 1 && groups == s[0] && groups > 1 && !(s[2] == 1 && s[3] == 1)
        tapMajor = dilation > 1 && groups == 1 && s[2] * s[3] > 1
        packed = depthwise ? nil : weight.storage.withUnsafeBufferPointer { [tapMajor] in
            tapMajor ? PackedWeights(tapMajor: $0.baseAddress!, m: s[0], channels: s[1], taps: s[2] * s[3])
                     : PackedWeights($0.baseAddress!, m: s[0] / groups, k: s[1] * s[2] * s[3], groups: groups)
        }
    }

    deinit { packed?.deallocate() }
}

/// Calls `body` with a pointer to `array`'s elements, or nil.
@inline(__always)
func withOptionalPointer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress!) }
}

private func runConv(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ packedWeights: PackedWeights?,
                     _ b: UnsafePointer<Float>?, _ g: ConvGeometry, _ activation: Activation?,
                     _ out: UnsafeMutablePointer<Float>) {
    let threads = EngineThreads.current
    let plane = g.outPlane
    let kind = ConvPartition(g).kind
    if kind == .depthwise {
        let planes = g.batch * g.inChannels
        parallelRanges(planes, workers: workerCount(elements: planes * plane * g.kH * g.kW, available: threads)) {
            depthwiseConv2d(input: x, weight: w, bias: b, g: g, planes: $0, activation: activation, output: out)
        }
        return
    }
    let m = g.outChannelsPerGroup, k = g.patchSize
    guard let packed = packedWeights else { preconditionFailure("ConvWeights packs every filter that is not depthwise") }
    let images = g.batch * g.groups
    // One (image, group): its input channels and output planes.
    func operands(_ ig: Int) -> (src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, group: Int) {
        let n = ig / g.groups, group = ig % g.groups
        return (x + (n * g.inChannels + group * g.inChannelsPerGroup) * g.inPlane,
                out + (n * g.outChannels + group * m) * plane, group)
    }
    // Output rows `rows`, columns [col0, col0 + cols) from a right-hand matrix `rhs` (leading dimension ldb),
    // with the bias and activation applied as each tile is stored.
    func block(_ rhs: UnsafePointer<Float>, ldb: Int, _ dst: UnsafeMutablePointer<Float>, group: Int,
               rows: Range<Int>, col0: Int, cols: Int) {
        ConvGEMM.multiply(packed, group: group, rows: rows, n: cols, b: rhs, ldb: ldb, c: dst + col0, ldc: plane,
                          bias: b, activation: activation)
    }
    switch kind {
    case .depthwise:
        return  // handled above
    case .pointwiseColumns(let width):
        // The input planes already are the GEMM's [Cin, H*W] right-hand matrix: slice its columns.
        let perImage = (plane + width - 1) / width
        parallelBlocks(images * perImage, workers: threads) { _, i in
            let (src, dst, group) = operands(i / perImage)
            let col0 = (i % perImage) * width
            block(src + col0, ldb: plane, dst, group: group, rows: 0..<m, col0: col0, cols: min(width, plane - col0))
        }
    case .pointwiseRows(let perImage):
        parallelBlocks(images * perImage, workers: threads) { _, i in
            let (src, dst, group) = operands(i / perImage)
            block(src, ldb: plane, dst, group: group, rows: ConvPartition.rowSlice(i % perImage, of: perImage, m: m),
                  col0: 0, cols: plane)
        }
    case .im2colRows(let perImage):
        // Small output plane, many channels: one whole im2col (workers split the channels), then
        // workers split the output channels.
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: k * plane)
        defer { scratch.deallocate() }
        for ig in 0..<images {
            let (src, dst, group) = operands(ig)
            parallelRanges(g.inChannelsPerGroup, workers: workerCount(elements: k * plane, available: threads)) {
                im2col(input: src, channels: $0, g: g, rows: 0, g.outH, into: scratch)
            }
            parallelBlocks(perImage, workers: threads) { _, i in
                block(scratch, ldb: plane, dst, group: group, rows: ConvPartition.rowSlice(i, of: perImage, m: m),
                      col0: 0, cols: plane)
            }
        }
    case .batchedImages(let perBlock):
        let blocks = (g.batch + perBlock - 1) / perBlock
        let workers = min(threads, blocks)
        let cols = perBlock * plane
        let perWorker = k * cols + m * cols
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: perWorker * max(1, workers))
        defer { scratch.deallocate() }
        parallelBlocks(blocks, workers: workers) { worker, bi in
            let n0 = bi * perBlock, count = min(perBlock, g.batch - n0), width = count * plane
            let lhs = scratch + worker * perWorker, product = lhs + k * cols
            // [k, width]: image j's receptive fields in columns j*plane ..< (j+1)*plane.
            for j in 0..<count {
                im2col(input: x + (n0 + j) * g.inChannels * g.inPlane, channels: 0..<g.inChannels, g: g,
                       rows: 0, g.outH, into: lhs + j * plane, rowStride: width)
            }
            ConvGEMM.multiply(packed, group: 0, rows: 0..<m, n: width, b: lhs, ldb: width, c: product, ldc: width,
                              bias: b, activation: activation)
            for j in 0..<count {
                let dst = out + (n0 + j) * m * plane
                for r in 0..<m { (dst + r * plane).update(from: product + r * width + j * plane, count: plane) }
            }
        }
    case .direct(let chunks):
        // Each block lays out the band of stride phases (`ConvPhases`) its chunk of output rows reads, in its
        // worker's scratch, then multiplies row by output row while the band is in cache.
        let phases = ConvPhases(g, outputRows: (g.outH + chunks - 1) / chunks)
        let count = images * chunks
        let workers = min(threads, count)
        let bandSize = g.inChannelsPerGroup * phases.channelSize
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: bandSize * max(1, workers))
        defer { scratch.deallocate() }
        phases.rowOffsets.withUnsafeBufferPointer { rowOffsets in
            parallelBlocks(count, workers: workers) { worker, i in
                let (src, dst, group) = operands(i / chunks)
                let rows = ConvPartition.chunkRows(i % chunks, of: chunks, outH: g.outH)
                let band = scratch + worker * bandSize
                let phaseRows = phases.band(for: rows)
                for c in 0..<g.inChannelsPerGroup {
                    phases.layOut(src + c * g.inPlane, rows: phaseRows, into: band + c * phases.channelSize)
                }
                for oy in rows {
                    ConvGEMM.multiplyRows(packed, group: group, n: g.outW, b: band + phases.rowBase(oy, first: rows.lowerBound),
                                          rowOffsets: rowOffsets.baseAddress!, c: dst + oy * g.outW, ldc: plane,
                                          bias: b, activation: activation)
                }
            }
        }
    case .im2colChunks(let perImage):
        // Each worker lays out a chunk of output rows in its own cache-sized scratch and multiplies it.
        let count = images * perImage
        let workers = min(threads, count)
        let capacity = k * ((g.outH + perImage - 1) / perImage) * g.outW
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: capacity * max(1, workers))
        defer { scratch.deallocate() }
        parallelBlocks(count, workers: workers) { worker, i in
            let (src, dst, group) = operands(i / perImage)
            let rows = ConvPartition.chunkRows(i % perImage, of: perImage, outH: g.outH)
            let mine = scratch + worker * capacity
            im2col(input: src, channels: 0..<g.inChannelsPerGroup, g: g, rows: rows.lowerBound, rows.upperBound, into: mine)
            block(mine, ldb: rows.count * g.outW, dst, group: group, rows: 0..<m,
                  col0: rows.lowerBound * g.outW, cols: rows.count * g.outW)
        }
    }
}
