/// Lays out the receptive fields of output rows [oh0, oh1) of one image and group as the GEMM's
/// right-hand matrix: row (c * kH + i) * kW + j holds, for every output position in the chunk,
/// the input value under kernel tap (i, j) of channel c, or 0 where that tap reads padding.
///
/// Padding is handled per row segment (a zero run, a copy, a zero run), never per element;
/// with stride 1 the middle run is a plain memcpy.
/// Only channels `channels` are written (their rows of `col`), so workers can split the channels.
/// `rowStride`: distance between the starts of consecutive rows of `col` (default: packed, (oh1 - oh0) * outW),
/// so several images can sit side by side in one matrix.
func im2col(input: UnsafePointer<Float>, channels: Range<Int>, g: ConvGeometry,
            rows oh0: Int, _ oh1: Int, into col: UnsafeMutablePointer<Float>, rowStride: Int? = nil) {
    let outW = g.outW, inW = g.inW, inH = g.inH
    let sW = g.strideW
    let rowLength = (oh1 - oh0) * outW, stride = rowStride ?? rowLength
    var dst = col + channels.lowerBound * g.kH * g.kW * stride
    for c in channels {
        let plane = input + c * g.inPlane
        for i in 0..<g.kH {
            let rowOffset = i * g.dilationH - g.padH
            for j in 0..<g.kW {
                let offset = j * g.dilationW - g.padW
                let (lo, hi) = ConvGeometry.validRange(offset: offset, stride: sW, inSize: inW, outSize: outW)
                for oh in oh0..<oh1 {
                    let ih = oh * g.strideH + rowOffset
                    if ih < 0 || ih >= inH {
                        dst.update(repeating: 0, count: outW)
                    } else {
                        let src = plane + ih * inW + offset
                        if lo > 0 { dst.update(repeating: 0, count: lo) }
                        if sW == 1 {
                            (dst + lo).update(from: src + lo, count: hi - lo)
                        } else {
                            var ow = lo
                            if sW == 2 {
                                // Eight outputs from sixteen contiguous inputs (even lanes), while the
                                // sixteenth input still lies inside the row.
                                let rowLimit = inW - 16 - offset  // last ow*2 whose 16-float read stays in the row
                                while ow + 8 <= hi && 2 * ow <= rowLimit {
                                    let v = UnsafeRawPointer(src + 2 * ow).loadUnaligned(as: SIMD16<Float>.self)
                                    UnsafeMutableRawPointer(dst + ow).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                                    ow += 8
                                }
                            }
                            while ow < hi {
                                dst[ow] = src[ow * sW]
                                ow += 1
                            }
                        }
                        if hi < outW { (dst + hi).update(repeating: 0, count: outW - hi) }
                    }
                    dst += outW
                }
                dst += stride - rowLength
            }
        }
    }
}
