import CKernels

/// A dilated convolution's output cut into rectangles whose positions all read the same kernel taps inside the
/// image: every other tap of theirs reads zero padding, so it is left out of their product instead of multiplied
/// by zeros. DeepLabV3's ASPP (dilation 12, 24, 36 on a 27x40 map) keeps 13% to 56% of its taps' work.
///
/// The weights are packed tap-major (GEMM column t * Cin + c for tap t, channel c). The taps run in order, each
/// over the blocks that read it: its Cin columns of packed weights stay in L2 across those blocks, and each
/// block's sums go on through its output (`argus_gemm_segments` continuing C), bias and activation applied after
/// the block's last tap. Every output is the chain over its taps in order, whatever the cut or the thread count.
struct TapRegions {
    /// Output rows (or columns) that read the same kernel rows (columns) inside the image.
    struct Band: Equatable {
        var range: Range<Int>
        let taps: [Int]
    }

    /// One block of work: output rows `rows` x columns `cols` of image `image`, reading kernel taps `taps`
    /// (t = i * kW + j, ascending); its sums live at `accumulator` in the accumulator scratch, or (nil) in the
    /// output itself when it spans whole output rows.
    struct Block {
        let image: Int
        let rows: Range<Int>, cols: Range<Int>
        let taps: [Int]
        let accumulator: Int?
        var positions: Int { rows.count * cols.count }
    }

    let blocks: [Block]
    /// For each tap, the blocks that read it.
    let blocksOfTap: [[Int]]
    /// Floats of accumulator scratch (blocks narrower than the output) and of one block's im2col.
    let accumulatorSize: Int, maxColumns: Int

    /// Bytes of one block's im2col of one tap (Cin rows): it stays in L2 next to the tap's weights.
    static let chunkBytes = ConvPartition.chunkBytes
    /// Fewest output positions per block (unless the region has fewer): narrower GEMMs run far below the kernel's
    /// speed.
    static let minColumns = 192

    init(_ g: ConvGeometry) {
        let rowBands = Self.bands(out: g.outH, input: g.inH, kernel: g.kH, stride: g.strideH, pad: g.padH,
                                  dilation: g.dilationH)
        let colBands = Self.bands(out: g.outW, input: g.inW, kernel: g.kW, stride: g.strideW, pad: g.padW,
                                  dilation: g.dilationW)
        var blocks: [Block] = [], accumulatorSize = 0, maxColumns = 0
        var blocksOfTap = [[Int]](repeating: [], count: g.kH * g.kW)
        for image in 0..<g.batch {
            for rb in rowBands {
                for cb in colBands {
                    let taps = rb.taps.flatMap { i in cb.taps.map { j in i * g.kW + j } }
                    let width = cb.range.count
                    let byBytes = Self.chunkBytes / max(1, g.inChannels * width * 4)
                    let perChunk = max(1, min(rb.range.count, max(byBytes, (Self.minColumns + width - 1) / width)))
                    var r = rb.range.lowerBound
                    while r < rb.range.upperBound {
                        let rows = r..<min(rb.range.upperBound, r + perChunk)
                        let inPlace = width == g.outW
                        let block = Block(image: image, rows: rows, cols: cb.range, taps: taps,
                                          accumulator: inPlace ? nil : accumulatorSize)
                        if !inPlace { accumulatorSize += g.outChannels * block.positions }
                        maxColumns = max(maxColumns, g.inChannels * block.positions)
                        for t in taps { blocksOfTap[t].append(blocks.count) }
                        blocks.append(block)
                        r = rows.upperBound
                    }
                }
            }
        }
        self.blocks = blocks
        self.blocksOfTap = blocksOfTap
        self.accumulatorSize = accumulatorSize
        self.maxColumns = maxColumns
    }

    /// Consecutive outputs o whose in-image kernel positions (o * stride + i * dilation - pad in [0, input))
    /// are the same set.
    static func bands(out: Int, input: Int, kernel: Int, stride: Int, pad: Int, dilation: Int) -> [Band] {
        var bands: [Band] = []
        for o in 0..<out {
            let taps = (0..<kernel).filter { i in
                let x = o * stride + i * dilation - pad
                return x >= 0 && x < input
            }
            if let last = bands.last, last.taps == taps {
                bands[bands.count - 1].range = last.range.lowerBound..<(o + 1)
            } else {
                bands.append(Band(range: o..<(o + 1), taps: taps))
            }
        }
        return bands
    }
}

/// runConv for weights packed tap-major (`TapRegions`).
func runTapConv(_ x: UnsafePointer<Float>, _ packed: PackedWeights, _ b: UnsafePointer<Float>?, _ g: ConvGeometry,
                _ activation: Activation?, _ out: UnsafeMutablePointer<Float>) {
    let regions = TapRegions(g)
    let cin = g.inChannels, m = g.outChannels, plane = g.outPlane
    let threads = EngineThreads.current
    // Each block's GEMM in row slices of whole panels, so two workers share a tap read by one block.
    let slices = min(2, (m + ConvGEMM.panelRows - 1) / ConvGEMM.panelRows)
    let maxUsers = regions.blocksOfTap.map(\.count).max() ?? 0
    let columns = UnsafeMutablePointer<Float>.allocate(capacity: max(1, regions.maxColumns * maxUsers))
    let accumulators = UnsafeMutablePointer<Float>.allocate(capacity: max(1, regions.accumulatorSize))
    defer { columns.deallocate(); accumulators.deallocate() }
    func sums(_ block: TapRegions.Block) -> (c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard let offset = block.accumulator else {
            return (out + block.image * m * plane + block.rows.lowerBound * g.outW, plane)
        }
        return (accumulators + offset, block.positions)
    }
    for (t, users) in regions.blocksOfTap.enumerated() where !users.isEmpty {
        let dy = (t / g.kW) * g.dilationH - g.padH, dx = (t % g.kW) * g.dilationW - g.padW
        // This tap's im2col of each block that reads it: Cin rows of the block's positions.
        parallelRanges(users.count, workers: workerCount(elements: users.count * regions.maxColumns, available: threads)) {
            for u in $0 {
                let block = regions.blocks[users[u]]
                let image = x + block.image * cin * g.inPlane
                var dstRow = columns + u * regions.maxColumns
                let width = block.cols.count
                for ch in 0..<cin {
                    let src = image + ch * g.inPlane
                    for oy in block.rows {
                        let rowStart = src + (oy * g.strideH + dy) * g.inW + dx
                        if g.strideW == 1 {
                            copyRun(from: rowStart + block.cols.lowerBound, to: dstRow, count: width)
                        } else {
                            for (i, ox) in block.cols.enumerated() { dstRow[i] = rowStart[ox * g.strideW] }
                        }
                        dstRow += width
                    }
                }
            }
        }
        parallelBlocks(users.count * slices, workers: threads) { _, item in
            let u = item / slices, block = regions.blocks[users[u]]
            let rows = ConvPartition.rowSlice(item % slices, of: slices, m: m)
            guard !rows.isEmpty else { return }
            let (c, ldc) = sums(block)
            ConvGEMM.multiplyPart(packed, rows: rows, start: t * cin, length: cin, n: block.positions,
                                  b: columns + u * regions.maxColumns, ldb: block.positions, c: c, ldc: ldc,
                                  first: t == block.taps.first, last: t == block.taps.last,
                                  bias: b, activation: activation)
        }
    }
    // Blocks reading only padding hold the activation of the bias; the others' sums go to their output rows.
    parallelRanges(regions.blocks.count, workers: workerCount(elements: m * plane * g.batch, available: threads)) {
        for i in $0 {
            let block = regions.blocks[i]
            let (c, ldc) = sums(block)
            if block.taps.isEmpty {
                for r in 0..<m {
                    let row = c + r * ldc
                    row.update(repeating: 0, count: block.positions)
                    Activation.biasAndActivate(row, count: block.positions, bias: b?[r] ?? 0, activation: activation)
                }
            }
            guard block.accumulator != nil else { continue }
            let dst = out + block.image * m * plane
            let width = block.cols.count
            for r in 0..<m {
                for (i, oy) in block.rows.enumerated() {
                    copyRun(from: c + r * ldc + i * width, to: dst + r * plane + oy * g.outW + block.cols.lowerBound,
                            count: width)
                }
            }
        }
    }
}

/// A short run copied in place: the regions' edge strips are a few floats wide, where a memmove call costs more
/// than the copy.
@inline(__always)
private func copyRun(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
    if count >= 64 {
        dst.update(from: src, count: count)
        return
    }
    var i = 0
    while i + 8 <= count {
        UnsafeMutableRawPointer(dst + i).storeBytes(of: UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self),
                                                    as: SIMD8<Float>.self)
        i += 8
    }
    while i < count { dst[i] = src[i]; i += 1 }
}
