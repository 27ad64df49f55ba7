/// Depthwise conv (groups == Cin == Cout) as a direct loop: one kernel per channel, so a GEMM would
/// have M = 1. Each output row is accumulated tap by tap over the columns where the tap reads the
/// image (no per-element padding branches), then gets the fused bias and activation.
func depthwiseConv2d(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                     g: ConvGeometry, activation: Activation?, output: UnsafeMutablePointer<Float>) {
    let kH = g.kH, kW = g.kW, sW = g.strideW, inW = g.inW, outW = g.outW
    let taps = kH * kW
    // Column ranges depend only on the kernel column j.
    var ranges = [(lo: Int, hi: Int)]()
    ranges.reserveCapacity(kW)
    for j in 0..<kW {
        ranges.append(ConvGeometry.validRange(offset: j * g.dilationW - g.padW, stride: sW,
                                              inSize: inW, outSize: outW))
    }
    ranges.withUnsafeBufferPointer { ranges in
        for plane in 0..<(g.batch * g.inChannels) {
            let c = plane % g.inChannels
            let src = input + plane * g.inPlane
            let dstPlane = output + plane * g.outPlane
            let w = weight + c * taps
            for oh in 0..<g.outH {
                let dst = dstPlane + oh * outW
                dst.update(repeating: 0, count: outW)
                for i in 0..<kH {
                    let ih = oh * g.strideH + i * g.dilationH - g.padH
                    if ih < 0 || ih >= g.inH { continue }
                    let srcRow = src + ih * inW
                    for j in 0..<kW {
                        let wv = w[i * kW + j]
                        let (lo, hi) = ranges[j]
                        let s = srcRow + (j * g.dilationW - g.padW)
                        if sW == 1 {
                            var ow = lo
                            while ow < hi { dst[ow] += wv * s[ow]; ow += 1 }
                        } else {
                            var ow = lo
                            while ow < hi { dst[ow] += wv * s[ow * sW]; ow += 1 }
                        }
                    }
                }
                let b = bias?[c] ?? 0
                if b != 0 || activation != nil {
                    Activation.biasAndActivate(dst, count: outW, bias: b, activation: activation)
                }
            }
        }
    }
}
