/// Depthwise conv (groups == Cin == Cout) as a direct loop: one kernel per channel, so a GEMM would
/// have M = 1. Each output row is accumulated tap by tap, each tap a multiply-add over the columns
/// where it reads the image (no per-element padding branches; the stride-1 loop auto-vectorizes),
/// then gets the fused bias and activation while it is in L1.
/// (Measured: this beats accumulating all taps in SIMD registers per column block on SSE2 codegen.)
/// Only the (image, channel) planes in `planes` are computed, so workers can split them.
func depthwiseConv2d(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                     g: ConvGeometry, planes: Range<Int>, activation: Activation?,
                     output: UnsafeMutablePointer<Float>) {
    let kH = g.kH, kW = g.kW, sW = g.strideW, outW = g.outW
    // Per kernel column: input column offset and the output columns where it reads the image.
    let cols = UnsafeMutablePointer<Int>.allocate(capacity: 3 * kW)
    defer { cols.deallocate() }
    let colOffset = cols, colLo = cols + kW, colHi = cols + 2 * kW
    for j in 0..<kW {
        colOffset[j] = j * g.dilationW - g.padW
        (colLo[j], colHi[j]) = ConvGeometry.validRange(offset: colOffset[j], stride: sW, inSize: g.inW, outSize: outW)
    }
    for plane in planes {
        let c = plane % g.inChannels
        let src = input + plane * g.inPlane
        let dstPlane = output + plane * g.outPlane
        let w = weight + c * kH * kW
        let b = bias?[c] ?? 0
        for oh in 0..<g.outH {
            let dst = dstPlane + oh * outW
            dst.update(repeating: 0, count: outW)
            for i in 0..<kH {
                let ih = oh * g.strideH + i * g.dilationH - g.padH
                if ih < 0 || ih >= g.inH { continue }
                let srcRow = src + ih * g.inW
                for j in 0..<kW {
                    let wv = w[i * kW + j]
                    let s = srcRow + colOffset[j]
                    let hi = colHi[j]
                    var ow = colLo[j]
                    if sW == 1 {
                        while ow < hi { dst[ow] += wv * s[ow]; ow += 1 }
                    } else {
                        while ow < hi { dst[ow] += wv * s[ow * sW]; ow += 1 }
                    }
                }
            }
            if b != 0 || activation != nil {
                Activation.biasAndActivate(dst, count: outW, bias: b, activation: activation)
            }
        }
    }
}
