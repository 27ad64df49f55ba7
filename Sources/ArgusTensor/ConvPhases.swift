/// The input of a convolution laid out so the GEMM reads its right-hand matrix straight from it (no im2col):
/// the zero-bordered image split into its stride x stride phases. Phase (a, b) of a channel holds the padded
/// image's rows a, a + sH, ... and columns b, b + sW, ..., so output (oy, ox) under kernel tap (i, j) reads
/// phase ((i dH) % sH, (j dW) % sW) at row oy + (i dH) / sH, column ox + (j dW) / sW: GEMM row (c, i, j) of
/// output row oy is a contiguous run of one phase row. With stride 1 there is one phase: the padded image.
struct ConvPhases {
    let g: ConvGeometry
    /// Rows and columns of one phase plane.
    let phaseH: Int, phaseW: Int
    /// Floats per channel (all its phases).
    let channelSize: Int
    /// Per GEMM row (c, i, j) of a group: where that row of output row 0 starts, from the group's first channel.
    let rowOffsets: [Int]

    init(_ g: ConvGeometry) {
        self.g = g
        let paddedH = g.inH + 2 * g.padH, paddedW = g.inW + 2 * g.padW
        phaseH = (paddedH + g.strideH - 1) / g.strideH
        phaseW = (paddedW + g.strideW - 1) / g.strideW
        channelSize = g.strideH * g.strideW * phaseH * phaseW
        var offsets = [Int](repeating: 0, count: g.patchSize)
        for c in 0..<g.inChannelsPerGroup {
            for i in 0..<g.kH {
                for j in 0..<g.kW {
                    let ti = i * g.dilationH, tj = j * g.dilationW
                    let phase = (ti % g.strideH) * g.strideW + tj % g.strideW
                    offsets[(c * g.kH + i) * g.kW + j] = c * channelSize + phase * phaseH * phaseW
                        + (ti / g.strideH) * phaseW + tj / g.strideW
                }
            }
        }
        rowOffsets = offsets
    }

    /// Where output row `oy`'s GEMM rows are measured from.
    func rowBase(_ oy: Int) -> Int { oy * phaseW }

    /// Writes channel `c` of one image (`src`, an inH x inW plane) as its phases at `dst` (`channelSize` floats).
    func layOut(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
        let sH = g.strideH, sW = g.strideW
        for a in 0..<sH {
            for b in 0..<sW {
                let phase = dst + (a * sW + b) * phaseH * phaseW
                // Phase column x is input column x sW + b - padW; the valid ones form one run.
                let x0 = max(0, (g.padW - b + sW - 1) / sW)
                let x1 = min(phaseW, (g.inW + g.padW - b + sW - 1) / sW)
                for y in 0..<phaseH {
                    let row = phase + y * phaseW
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
