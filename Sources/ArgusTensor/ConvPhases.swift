/// The input of a convolution laid out so the GEMM reads its right-hand matrix straight from it (no im2col):
/// the zero-bordered image split into its stride x stride phases. Phase (a, b) of a channel holds the padded
/// image's rows a, a + sH, ... and columns b, b + sW, ..., so output (oy, ox) under kernel tap (i, j) reads
/// phase ((i dH) % sH, (j dW) % sW) at row oy + (i dH) / sH, column ox + (j dW) / sW: GEMM row (c, i, j) of
/// output row oy is a contiguous run of one phase row. With stride 1 there is one phase: the padded image.
///
/// A band holds `bandRows` consecutive rows of every phase (the rows a run of output rows reads), so a worker can
/// lay out and multiply one run of output rows while its band is in cache.
struct ConvPhases {
    let g: ConvGeometry
    /// Rows and columns of one whole phase plane.
    let phaseH: Int, phaseW: Int
    /// Phase rows per band, and floats per channel of a band (all its phases).
    let bandRows: Int
    let channelSize: Int
    /// Per GEMM row (c, i, j) of a group: where that row of the band's first output row starts, from the group's
    /// first channel.
    let rowOffsets: [Int]
    /// Phase rows a run of output rows reads beyond its own count.
    let extraRows: Int

    /// A band for runs of up to `outputRows` output rows.
    init(_ g: ConvGeometry, outputRows: Int) {
        self.g = g
        let paddedH = g.inH + 2 * g.padH, paddedW = g.inW + 2 * g.padW
        phaseH = (paddedH + g.strideH - 1) / g.strideH
        phaseW = (paddedW + g.strideW - 1) / g.strideW
        extraRows = (g.kH - 1) * g.dilationH / g.strideH
        bandRows = min(phaseH, outputRows + extraRows)
        channelSize = g.strideH * g.strideW * bandRows * phaseW
        var offsets = [Int](repeating: 0, count: g.patchSize)
        for c in 0..<g.inChannelsPerGroup {
            for i in 0..<g.kH {
                for j in 0..<g.kW {
                    let ti = i * g.dilationH, tj = j * g.dilationW
                    let phase = (ti % g.strideH) * g.strideW + tj % g.strideW
                    offsets[(c * g.kH + i) * g.kW + j] = c * channelSize + phase * bandRows * phaseW
                        + (ti / g.strideH) * phaseW + tj / g.strideW
                }
            }
        }
        rowOffsets = offsets
    }

    /// The phase rows output rows `rows` read (at most `bandRows`).
    func band(for rows: Range<Int>) -> Range<Int> {
        rows.lowerBound ..< min(phaseH, rows.upperBound + extraRows)
    }

    /// Where output row `oy`'s GEMM rows are measured from, in a band starting at output row `first`.
    func rowBase(_ oy: Int, first: Int) -> Int { (oy - first) * phaseW }

    /// Writes one channel of one image (`src`, an inH x inW plane) as the phase rows `rows` (a band's) of its
    /// phases at `dst` (`channelSize` floats).
    func layOut(_ src: UnsafePointer<Float>, rows: Range<Int>, into dst: UnsafeMutablePointer<Float>) {
        precondition(rows.count <= bandRows)
        let sH = g.strideH, sW = g.strideW
        for a in 0..<sH {
            for b in 0..<sW {
                let phase = dst + (a * sW + b) * bandRows * phaseW
                // Phase column x is input column x sW + b - padW; the valid ones form one run.
                let x0 = max(0, (g.padW - b + sW - 1) / sW)
                let x1 = min(phaseW, (g.inW + g.padW - b + sW - 1) / sW)
                for y in rows {
                    let row = phase + (y - rows.lowerBound) * phaseW
                    let iy = y * sH + a - g.padH
                    guard iy >= 0, iy < g.inH, x1 > x0 else {
                        row.update(repeating: 0, count: phaseW)
                        continue
                    }
                    row.update(repeating: 0, count: x0)
                    let from = src + iy * g.inW + x0 * sW + b - g.padW
                    let count = x1 - x0
                    if sW == 1 {
                        (row + x0).update(from: from, count: count)
                    } else {
                        var x = 0
                        if sW == 2 {
                            // Eight outputs from sixteen inputs (the even lanes) while the sixteen lie in the row.
                            let limit = src + (iy + 1) * g.inW
                            while x + 8 <= count && from + 2 * x + 16 <= limit {
                                let v = UnsafeRawPointer(from + 2 * x).loadUnaligned(as: SIMD16<Float>.self)
                                UnsafeMutableRawPointer(row + x0 + x).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                                x += 8
                            }
                        }
                        while x < count { row[x0 + x] = from[x * sW]; x += 1 }
                    }
                    (row + x1).update(repeating: 0, count: phaseW - x1)
                }
            }
        }
    }
}
