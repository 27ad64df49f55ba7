/// How one conv is cut into independent blocks for the workers, from the shapes alone: blocks sized for the
/// caches and in multiples that 1, 2 and 4 workers share evenly. The results do not depend on the cut
/// (`ConvGEMM` computes each element the same way in any block).
struct ConvPartition {
    enum Kind: Equatable {
        /// groups == Cin == Cout: a direct loop per (image, channel) plane.
        case depthwise
        /// 1x1 GEMM straight on the input, split into column slices of this width.
        case pointwiseColumns(width: Int)
        /// 1x1 GEMM on a small plane, split into this many output-channel slices (`rowSlice`).
        case pointwiseRows(slices: Int)
        /// Whole-plane im2col, then the GEMM split into this many output-channel slices (`rowSlice`).
        case im2colRows(slices: Int)
        /// im2col + GEMM per chunk of output rows (`chunkRows`), this many chunks per image.
        case im2colChunks(count: Int)
        /// Wide output rows: the GEMM reads B straight from the input laid out as its zero-bordered stride phases
        /// (`ConvPhases`), one output row per call (`argus_gemm_rows`), in this many chunks of rows per (image,
        /// group), each laying out the band of phase rows it reads.
        case direct(chunks: Int)
        /// Many small images (e.g. RoIs): im2col this many images side by side, one GEMM over all their columns.
        case batchedImages(perBlock: Int)
    }

    let kind: Kind

    /// Bytes of im2col scratch per chunk: the chunk stays in L2 between im2col and the GEMM.
    /// Measured on 3x3 64->64 at 160x112: 2.6x faster than one whole-image im2col; 192 KB to 768 KB
    /// perform alike.
    static let chunkBytes = 512 * 1024
    /// Bytes of the right-hand matrix per column slice of a 1x1 GEMM.
    static let sliceBytes = 256 * 1024
    /// Below this many multiply-adds a conv runs as one block: a fork/join costs more than it saves.
    static let minSplitMACs = 1 << 20
    /// Planes up to this many output positions split the output channels instead of the columns:
    /// column slices of a small plane would each pack the whole (large) weight matrix.
    static let smallPlane = 1280
    /// Largest whole-plane im2col (bytes) for the output-channel split.
    static let wholeIm2colBytes = 2 * 1024 * 1024
    /// Blocks come in multiples of this so 1, 2 and 4 workers get equal shares.
    static let blockMultiple = 4
    /// Output rows at least this wide run `direct`: narrower rows make narrow GEMM tiles.
    static let directMinWidth = 32
    /// Strides up to this run `direct` (stride^2 phases per channel).
    static let directMaxStride = 4
    /// Column slices are a multiple of both kernels' tile widths (48 on AVX-512, 16 on AVX2).
    static let columnMultiple = 48
    /// Output planes up to this size, in batches of at least `minBatchedImages`, are multiplied several images
    /// at a time (Faster R-CNN v2's box head: 1000 RoIs of 7x7; Mask R-CNN's mask head: 14x14): a GEMM only
    /// 49 columns wide runs at a fraction of the kernel's speed.
    static let batchedPlane = 256
    static let minBatchedImages = 4
    /// Columns per batched GEMM.
    static let batchedColumns = 1024

    init(_ g: ConvGeometry) {
        let isPointwise = g.kH == 1 && g.kW == 1 && g.strideH == 1 && g.strideW == 1 && g.padH == 0 && g.padW == 0
        if g.groups == g.inChannels && g.groups == g.outChannels && !isPointwise {
            kind = .depthwise
            return
        }
        let m = g.outChannelsPerGroup, k = g.patchSize, plane = g.outPlane
        if g.groups == 1 && g.batch >= Self.minBatchedImages && plane <= Self.batchedPlane && m >= 16 {
            kind = .batchedImages(perBlock: max(1, Self.batchedColumns / max(1, plane)))
            return
        }
        let macs = m * k * plane
        let rowSplit = plane <= Self.smallPlane && m >= 32 && macs >= Self.minSplitMACs
        let slices = min(Self.blockMultiple, (m + ConvGEMM.panelRows - 1) / ConvGEMM.panelRows)
        if isPointwise {
            if rowSplit {
                kind = .pointwiseRows(slices: slices)
            } else if macs < Self.minSplitMACs {
                kind = .pointwiseColumns(width: plane)
            } else {
                let slices = Self.roundUp(max(1, k * plane * 4 / Self.sliceBytes), Self.blockMultiple)
                kind = .pointwiseColumns(width: Self.roundUp((plane + slices - 1) / slices, Self.columnMultiple))
            }
            return
        }
        if g.strideH <= Self.directMaxStride && g.strideW <= Self.directMaxStride && g.outW >= Self.directMinWidth
            && !rowSplit && g.kH * g.kW > 1 {
            let chunks = macs >= Self.minSplitMACs ? min(g.outH, Self.blockMultiple * 2) : 1
            kind = .direct(chunks: chunks)
            return
        }
        if rowSplit && k * plane * 4 <= Self.wholeIm2colBytes {
            kind = .im2colRows(slices: slices)
            return
        }
        // Chunks of output rows, as even as the rows allow; a multiple-of-4 count so workers
        // finish together (28 rows in 8 chunks of 3-4 rows, not 7 chunks of 4).
        let rows = max(1, min(g.outH, Self.chunkBytes / max(1, k * g.outW * 4)))
        var chunks = (g.outH + rows - 1) / rows
        if macs >= Self.minSplitMACs { chunks = min(g.outH, Self.roundUp(chunks, Self.blockMultiple)) }
        kind = .im2colChunks(count: chunks)
    }

    /// Output channels of slice `i` of `count` over `m` rows: whole packed panels, as even as they allow.
    @inline(__always)
    static func rowSlice(_ i: Int, of count: Int, m: Int) -> Range<Int> {
        let panels = (m + ConvGEMM.panelRows - 1) / ConvGEMM.panelRows
        return min(m, i * panels / count * ConvGEMM.panelRows)..<min(m, (i + 1) * panels / count * ConvGEMM.panelRows)
    }

    /// Output rows of chunk `i` of `count` over `outH` rows.
    @inline(__always)
    static func chunkRows(_ i: Int, of count: Int, outH: Int) -> Range<Int> {
        (i * outH / count)..<((i + 1) * outH / count)
    }

    @inline(__always)
    private static func roundUp(_ x: Int, _ multiple: Int) -> Int { (x + multiple - 1) / multiple * multiple }
}
