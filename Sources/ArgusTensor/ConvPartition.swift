/// How one conv is cut into independent blocks for the workers. It depends only on the shapes,
/// never on the thread count: OpenBLAS's result for an output element can change with the width
/// of the call it is in (edge kernels), so every thread count must issue the very same GEMM calls
/// to give bit-identical results.
struct ConvPartition {
    enum Kind: Equatable {
        /// groups == Cin == Cout: a direct loop per (image, channel) plane.
        case depthwise
        /// 1x1 GEMM straight on the input, split into column slices of this width.
        case pointwiseColumns(width: Int)
        /// 1x1 GEMM on a small plane, split into output-channel slices of this height.
        case pointwiseRows(height: Int)
        /// 1x1 GEMM in tiles of (output channels x columns), each within OpenBLAS's small-matrix bound.
        case pointwiseTiles(height: Int, width: Int)
        /// Whole-plane im2col, then the GEMM split into output-channel slices of this height.
        case im2colRows(height: Int)
        /// im2col + GEMM per chunk of output rows (`chunkRows`), this many chunks per image.
        case im2colChunks(count: Int)
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
    /// Output planes up to this size, in batches of at least `minBatchedImages`, are multiplied several images
    /// at a time (Faster R-CNN v2's box head: 1000 RoIs of 7x7; Mask R-CNN's mask head: 14x14): a GEMM only
    /// 49 columns wide runs at a fraction of the kernel's speed.
    static let batchedPlane = 256
    static let minBatchedImages = 4
    /// Columns per batched GEMM.
    static let batchedColumns = 1024

    /// 1x1 convs go to `pointwiseTiles` wherever a tile fits (`smallTile`), whatever their activation:
    /// a conv's partition is a function of its shape only.
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
        // Output-channel slices: a multiple-of-16 height (whole GEMM micro-tiles), four slices at most.
        let height = Self.roundUp((m + Self.blockMultiple - 1) / Self.blockMultiple, 16)
        if isPointwise, let tile = Self.smallTile(m: m, k: k, plane: plane) {
            kind = .pointwiseTiles(height: tile.height, width: tile.width)
            return
        }
        if isPointwise {
            if rowSplit {
                kind = .pointwiseRows(height: height)
            } else if macs < Self.minSplitMACs {
                kind = .pointwiseColumns(width: plane)
            } else {
                let slices = Self.roundUp(max(1, k * plane * 4 / Self.sliceBytes), Self.blockMultiple)
                kind = .pointwiseColumns(width: max(16, Self.roundUp((plane + slices - 1) / slices, 16)))
            }
            return
        }
        if rowSplit && k * plane * 4 <= Self.wholeIm2colBytes {
            kind = .im2colRows(height: height)
            return
        }
        // Chunks of output rows, as even as the rows allow; a multiple-of-4 count so workers
        // finish together (28 rows in 8 chunks of 3-4 rows, not 7 chunks of 4).
        let rows = max(1, min(g.outH, Self.chunkBytes / max(1, k * g.outW * 4)))
        var chunks = (g.outH + rows - 1) / rows
        if macs >= Self.minSplitMACs { chunks = min(g.outH, Self.roundUp(chunks, Self.blockMultiple)) }
        kind = .im2colChunks(count: chunks)
    }

    /// OpenBLAS (SkylakeX/Cooper Lake kernels, as picked on this AVX-512 machine) multiplies calls
    /// with M * N * K <= 100^3 by its small-matrix kernel: no packing and no separate beta pass.
    /// Measured for YOLOX-Nano's 1x1 shapes: 53-57 GMAC/s there against 42-50 for the same work in
    /// larger (packed) calls, e.g. 64x2704x64 in 240-column tiles 196 us vs 227 us in one call.
    static let smallGEMM = 1_000_000

    /// (output channels, columns) per 1x1 tile so each GEMM stays within `smallGEMM`: all the
    /// channels when 16 columns fit, else multiple-of-8 channel slices; widths a multiple of 16,
    /// evened over the plane. Nil for K > 512 (slower there: 46 vs 50 GMAC/s at K = 1152).
    static func smallTile(m: Int, k: Int, plane: Int) -> (height: Int, width: Int)? {
        guard k <= 512 else { return nil }
        var height = m
        if m * k * 16 > smallGEMM {
            height = max(8, min(m, smallGEMM / (k * min(plane, 128)) / 8 * 8))
        }
        let fit = max(16, smallGEMM / (height * k) / 16 * 16)
        let slices = (plane + fit - 1) / fit
        return (height, min(plane, roundUp((plane + slices - 1) / slices, 16)))
    }

    /// Output rows of chunk `i` of `count` over `outH` rows.
    @inline(__always)
    static func chunkRows(_ i: Int, of count: Int, outH: Int) -> Range<Int> {
        (i * outH / count)..<((i + 1) * outH / count)
    }

    @inline(__always)
    private static func roundUp(_ x: Int, _ multiple: Int) -> Int { (x + multiple - 1) / multiple * multiple }
}
