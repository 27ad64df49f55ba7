/// Output length of a pooling window sweep, torch's `pooling_output_shape`: with ceil mode the
/// last window must still start inside the input or the left padding.
func poolOutputSize(input: Int, kernel: Int, stride: Int, pad: Int, dilation: Int, ceilMode: Bool) -> Int {
    let span = input + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0)
    // floor division (span may be negative for inputs smaller than the window)
    var out = (span >= 0 ? span / stride : -((-span + stride - 1) / stride)) + 1
    if ceilMode && (out - 1) * stride >= input + pad { out -= 1 }
    return out
}

/// Validated pooling sizes for one axis pair.
private struct PoolGeometry {
    let kH, kW, sH, sW, pH, pW, dH, dW, outH, outW: Int

    init(op: String, inH: Int, inW: Int, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int),
         dilation: (Int, Int), ceilMode: Bool) throws {
        (kH, kW) = kernel; (sH, sW) = stride; (pH, pW) = padding; (dH, dW) = dilation
        guard kH >= 1, kW >= 1, sH >= 1, sW >= 1, dH >= 1, dW >= 1, pH >= 0, pW >= 0 else {
            throw TensorError.invalidArgument(op: op, message:
                "kernel \(kernel), stride \(stride), dilation \(dilation) must be >= 1 and padding \(padding) >= 0")
        }
        guard pH <= kH / 2, pW <= kW / 2 else {
            throw TensorError.invalidArgument(op: op, message: "padding \(padding) must be at most half the kernel \(kernel)")
        }
        outH = poolOutputSize(input: inH, kernel: kH, stride: sH, pad: pH, dilation: dH, ceilMode: ceilMode)
        outW = poolOutputSize(input: inW, kernel: kW, stride: sW, pad: pW, dilation: dW, ceilMode: ceilMode)
        guard outH >= 1, outW >= 1 else {
            throw TensorError.invalidShape(op: op, message: "input \(inH)x\(inW) is smaller than the pooling window")
        }
    }
}

/// torch.nn.functional.max_pool2d: padding reads as -inf; NaN wins like in torch.
public func maxPool2d(_ x: Tensor, kernel: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1,
                      ceilMode: Bool = false) throws -> Tensor {
    let s = stride ?? kernel
    return try maxPool2d(x, kernel: (kernel, kernel), stride: (s, s), padding: (padding, padding),
                         dilation: (dilation, dilation), ceilMode: ceilMode)
}

/// max_pool2d with separate (height, width) sizes.
public func maxPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int),
                      dilation: (Int, Int) = (1, 1), ceilMode: Bool = false) throws -> Tensor {
    let (n, c, h, w) = try x.nchw("maxPool2d")
    let g = try PoolGeometry(op: "maxPool2d", inH: h, inW: w, kernel: kernel, stride: stride, padding: padding,
                             dilation: dilation, ceilMode: ceilMode)
    // Separable: per output row, the max over the window's rows for every input column, then the
    // max over each window's columns. Max is exact, and NaN is sticky in both passes like torch's
    // `val > max || isnan(val)`, so this equals torch's per-window loop (up to the sign of a zero
    // maximum when a window holds both -0 and +0: the visiting order differs).
    return Tensor.uninitialized(shape: [n, c, g.outH, g.outW]) { out in
        x.storage.withUnsafeBufferPointer { src in
            let src = src.baseAddress!, out = out.baseAddress!
            parallelRanges(n * c, workers: workerCount(elements: x.count * g.kH, available: EngineThreads.current)) { planes in
                // The column maxima with pW columns of -inf on the left and enough on the right for
                // whole-vector window reads (a -inf never beats a real element; every window holds one).
                let padded = g.pW + (g.outW + vecWidth - 1) / vecWidth * vecWidth * g.sW + (g.kW - 1) * g.dW + w
                let colPad = UnsafeMutablePointer<Float>.allocate(capacity: padded)
                defer { colPad.deallocate() }
                colPad.initialize(repeating: -.infinity, count: padded)
                let colMax = colPad + g.pW
                for plane in planes {
                    let ip = src + plane * h * w
                    let op = out + plane * g.outH * g.outW
                    for oh in 0..<g.outH {
                        var h0 = oh * g.sH - g.pH
                        let h1 = min(h0 + (g.kH - 1) * g.dH + 1, h)
                        while h0 < 0 { h0 += g.dH }
                        colMax.update(from: ip + h0 * w, count: w)
                        var ih = h0 + g.dH
                        while ih < h1 {
                            stickyMaxInPlace(colMax, ip + ih * w, count: w)
                            ih += g.dH
                        }
                        if g.sW <= 2 {
                            windowMax(colPad, g.kW, g.dW, stride: g.sW, op + oh * g.outW, count: g.outW)
                            continue
                        }
                        for ow in 0..<g.outW {
                            var w0 = ow * g.sW - g.pW
                            let w1 = min(w0 + (g.kW - 1) * g.dW + 1, w)
                            while w0 < 0 { w0 += g.dW }
                            var best = colMax[w0]
                            var iw = w0 + g.dW
                            while iw < w1 { best = stickyMax(best, colMax[iw]); iw += g.dW }
                            op[oh * g.outW + ow] = best
                        }
                    }
                }
            }
        }
    }
}

/// best[i] = stickyMax(best[i], row[i]) for `count` elements, eight lanes at a time.
@inline(__always)
private func stickyMaxInPlace(_ best: UnsafeMutablePointer<Float>, _ row: UnsafePointer<Float>, count: Int) {
    var i = 0
    let b = UnsafeMutableRawPointer(best), r = UnsafeRawPointer(row)
    while i + vecWidth <= count {
        let v = r.loadUnaligned(fromByteOffset: i * 4, as: Vec.self)
        let m = b.loadUnaligned(fromByteOffset: i * 4, as: Vec.self)
        b.storeBytes(of: stickyMax(m, v), toByteOffset: i * 4, as: Vec.self)
        i += vecWidth
    }
    while i < count { best[i] = stickyMax(best[i], row[i]); i += 1 }
}

/// out[ow] = the sticky max of padded[ow * stride + j * dilation] over j in 0..<kernel (in order of j, like the
/// scalar loop after the -inf padding), eight outputs at a time; with stride 2 (ResNet's stem pool) one tap of
/// eight windows is the even lanes of sixteen floats.
@inline(__always)
private func windowMax(_ padded: UnsafePointer<Float>, _ kernel: Int, _ dilation: Int, stride: Int,
                       _ out: UnsafeMutablePointer<Float>, count: Int) {
    let p = UnsafeRawPointer(padded)
    @inline(__always) func tap(_ column: Int) -> Vec {
        stride == 1 ? p.loadUnaligned(fromByteOffset: column * 4, as: Vec.self)
                    : p.loadUnaligned(fromByteOffset: column * 4, as: SIMD16<Float>.self).evenHalf
    }
    var ow = 0
    while ow < count {
        var best = tap(ow * stride)
        for j in 1..<max(1, kernel) { best = stickyMax(best, tap(ow * stride + j * dilation)) }
        storeLanes(best, out + ow, count: min(vecWidth, count - ow))
        ow += vecWidth
    }
}

/// The first `count` (1...8) lanes of v to out.
@inline(__always)
private func storeLanes(_ v: Vec, _ out: UnsafeMutablePointer<Float>, count: Int) {
    if count == vecWidth {
        UnsafeMutableRawPointer(out).storeBytes(of: v, as: Vec.self)
    } else {
        withUnsafeBytes(of: v) { UnsafeMutableRawPointer(out).copyMemory(from: $0.baseAddress!, byteCount: count * 4) }
    }
}

/// stickyMax on eight lanes.
@inline(__always)
private func stickyMax(_ best: Vec, _ v: Vec) -> Vec {
    best.replacing(with: v, where: (v .> best) .| (v .!= v))
}

/// torch's max_pool update: the new value wins if larger or NaN, so a NaN stays once seen.
@inline(__always)
private func stickyMax(_ best: Float, _ v: Float) -> Float {
    (v > best || v.isNaN) ? v : best
}

/// torch.nn.functional.avg_pool2d (count_include_pad counts padding but never the ceil-mode overhang).
public func avgPool2d(_ x: Tensor, kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                      countIncludePad: Bool = true, divisorOverride: Int? = nil) throws -> Tensor {
    let s = stride ?? kernel
    return try avgPool2d(x, kernel: (kernel, kernel), stride: (s, s), padding: (padding, padding),
                         ceilMode: ceilMode, countIncludePad: countIncludePad, divisorOverride: divisorOverride)
}

/// avg_pool2d with separate (height, width) sizes.
public func avgPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int),
                      ceilMode: Bool = false, countIncludePad: Bool = true,
                      divisorOverride: Int? = nil) throws -> Tensor {
    let (n, c, h, w) = try x.nchw("avgPool2d")
    let g = try PoolGeometry(op: "avgPool2d", inH: h, inW: w, kernel: kernel, stride: stride, padding: padding,
                             dilation: (1, 1), ceilMode: ceilMode)
    if let d = divisorOverride, d == 0 {
        throw TensorError.invalidArgument(op: "avgPool2d", message: "divisorOverride must not be 0")
    }
    return Tensor.uninitialized(shape: [n, c, g.outH, g.outW]) { out in
        x.storage.withUnsafeBufferPointer { src in
            for plane in 0..<(n * c) {
                let ip = src.baseAddress! + plane * h * w
                let op = out.baseAddress! + plane * g.outH * g.outW
                for oh in 0..<g.outH {
                    var h0 = oh * g.sH - g.pH
                    var h1 = min(h0 + g.kH, h + g.pH)
                    let poolH = h1 - h0
                    h0 = max(h0, 0); h1 = min(h1, h)
                    for ow in 0..<g.outW {
                        var w0 = ow * g.sW - g.pW
                        var w1 = min(w0 + g.kW, w + g.pW)
                        let poolSize = poolH * (w1 - w0)
                        w0 = max(w0, 0); w1 = min(w1, w)
                        if h0 >= h1 || w0 >= w1 { op[oh * g.outW + ow] = 0; continue }
                        var sum: Float = 0
                        for ih in h0..<h1 { for iw in w0..<w1 { sum += ip[ih * w + iw] } }
                        let divisor = divisorOverride ?? (countIncludePad ? poolSize : (h1 - h0) * (w1 - w0))
                        op[oh * g.outW + ow] = sum / Float(divisor)
                    }
                }
            }
        }
    }
}
