import CKernels

/// Depthwise conv (groups == Cin == Cout) as a direct loop: one kernel per channel, so a GEMM would
/// have M = 1. Each output row is accumulated tap by tap, each tap a multiply-add over the columns
/// where it reads the image (no per-element padding branches; the stride-1 loop auto-vectorizes),
/// then gets the fused bias and activation while it is in L1.
/// Column strides 1 and 2 with kernels up to 7 wide go to the C kernel (`argus_depthwise_plane`: taps
/// accumulated in registers, 8 or 16 lanes); this loop serves the rest.
/// Only the (image, channel) planes in `planes` are computed, so workers can split them.
func depthwiseConv2d(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                     g: ConvGeometry, planes: Range<Int>, activation: Activation?,
                     output: UnsafeMutablePointer<Float>) {
    if g.strideW <= 2 && g.kW <= 7 {
        let (code, slope) = ConvGEMM.kernelActivation(activation)
        for plane in planes {
            let c = plane % g.inChannels
            let dst = output + plane * g.outPlane
            argus_depthwise_plane(ConvGEMM.avx512 ? 1 : 0, input + plane * g.inPlane, g.inH, g.inW,
                                  weight + c * g.kH * g.kW, g.kH, g.kW, g.strideH, g.strideW, g.padH, g.padW,
                                  g.dilationH, g.dilationW, bias?[c] ?? 0, code, slope, dst, g.outH, g.outW)
        }
        return
    }
    let kW = g.kW, sW = g.strideW, outW = g.outW
    // Per kernel column: input column offset and the output columns where it reads the image.
    let cols = UnsafeMutablePointer<Int>.allocate(capacity: 3 * kW)
    defer { cols.deallocate() }
    let colOffset = cols, colLo = cols + kW, colHi = cols + 2 * kW
    for j in 0..<kW {
        colOffset[j] = j * g.dilationW - g.padW
        (colLo[j], colHi[j]) = ConvGeometry.validRange(offset: colOffset[j], stride: sW, inSize: g.inW, outSize: outW)
    }
    if sW == 1 {
        depthwiseRows(StrideOne.self, input, weight, bias, g, planes, activation, output, colOffset, colLo, colHi)
    } else {
        depthwiseRows(StrideAny.self, input, weight, bias, g, planes, activation, output, colOffset, colLo, colHi)
    }
}

/// Column stride known at compile time (1) or read from the geometry, so the stride-1 loop
/// compiles to contiguous vector multiply-adds.
private protocol ColumnStride { static func of(_ g: ConvGeometry) -> Int }
private enum StrideOne: ColumnStride { static func of(_ g: ConvGeometry) -> Int { 1 } }
private enum StrideAny: ColumnStride { static func of(_ g: ConvGeometry) -> Int { g.strideW } }

@inline(__always)
private func depthwiseRows<S: ColumnStride>(_: S.Type, _ input: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                                            _ bias: UnsafePointer<Float>?, _ g: ConvGeometry, _ planes: Range<Int>,
                                            _ activation: Activation?, _ output: UnsafeMutablePointer<Float>,
                                            _ colOffset: UnsafeMutablePointer<Int>, _ colLo: UnsafeMutablePointer<Int>,
                                            _ colHi: UnsafeMutablePointer<Int>) {
    let kH = g.kH, kW = g.kW, sW = S.of(g), outW = g.outW, inW = g.inW, inH = g.inH
    let sH = g.strideH, dH = g.dilationH, pH = g.padH
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
                let ih = oh * sH + i * dH - pH
                if ih < 0 || ih >= inH { continue }
                let srcRow = src + ih * inW
                for j in 0..<kW {
                    let wv = w[i * kW + j]
                    let s = srcRow + colOffset[j]
                    let hi = colHi[j]
                    var ow = colLo[j]
                    while ow < hi { dst[ow] += wv * s[ow * sW]; ow += 1 }
                }
            }
            if b != 0 || activation != nil {
                Activation.biasAndActivate(dst, count: outW, bias: b, activation: activation)
            }
        }
    }
}
