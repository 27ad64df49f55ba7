/// torch's `compute_scales_value`: 1 / scale_factor when the caller gave one, else in / out.
private func sourceScale(input: Int, output: Int, scaleFactor: Double?) -> Float {
    if let s = scaleFactor, s > 0 { return Float(1.0 / s) }
    return Float(input) / Float(output)
}

/// torch 'nearest' source index (`nearest_idx`): identity and exact 2x are special-cased,
/// otherwise min(floor(dst * scale), in - 1) in Float32.
private func nearestIndices(input: Int, output: Int, scaleFactor: Double?) -> [Int] {
    if output == input { return Array(0..<output) }
    if output == 2 * input { return (0..<output).map { $0 >> 1 } }
    let scale = sourceScale(input: input, output: output, scaleFactor: scaleFactor)
    return (0..<output).map { min(Int((Float($0) * scale).rounded(.down)), input - 1) }
}

private func checkedSize(_ op: String, _ size: (Int, Int)) throws {
    guard size.0 >= 1, size.1 >= 1 else {
        throw TensorError.invalidArgument(op: op, message: "output size \(size) must be positive")
    }
}

/// F.interpolate(mode='nearest', size=...): the source pixel is min(floor(dst * in / out), in - 1).
/// `scales` (h, w) are the scale factors torch was given, if any (they change the rounding).
public func interpolateNearest(_ x: Tensor, size: (Int, Int), scales: (Double, Double)? = nil) throws -> Tensor {
    let (n, c, h, w) = try x.nchw("interpolateNearest")
    try checkedSize("interpolateNearest", size)
    let (outH, outW) = size
    let rows = nearestIndices(input: h, output: outH, scaleFactor: scales?.0)
    let cols = nearestIndices(input: w, output: outW, scaleFactor: scales?.1)
    return Tensor.uninitialized(shape: [n, c, outH, outW]) { out in
        x.storage.withUnsafeBufferPointer { src in
            cols.withUnsafeBufferPointer { cols in
                let src = src.baseAddress!, out = out.baseAddress!
                parallelRanges(n * c, workers: workerCount(elements: n * c * outH * outW, available: EngineThreads.current)) { planes in
                    for plane in planes {
                        let ip = src + plane * h * w
                        let op = out + plane * outH * outW
                        for oh in 0..<outH {
                            let dst = op + oh * outW
                            if oh > 0 && rows[oh] == rows[oh - 1] {
                                dst.update(from: dst - outW, count: outW)  // same source row: copy the row above
                                continue
                            }
                            let srow = ip + rows[oh] * w
                            for ow in 0..<outW { dst[ow] = srow[cols[ow]] }
                        }
                    }
                }
            }
        }
    }
}

/// F.interpolate(mode='nearest', scale_factor=s) (recompute_scale_factor unset): the output is
/// floor(in * s) and the index rule uses 1 / s, as torch does.
public func interpolateNearest(_ x: Tensor, scaleFactor: Double) throws -> Tensor {
    let (_, _, h, w) = try x.nchw("interpolateNearest")
    guard scaleFactor > 0, scaleFactor.isFinite else {
        throw TensorError.invalidArgument(op: "interpolateNearest", message: "scale factor \(scaleFactor) must be > 0")
    }
    let size = (Int(Double(h) * scaleFactor), Int(Double(w) * scaleFactor))
    return try interpolateNearest(x, size: size, scales: (scaleFactor, scaleFactor))
}

/// One axis of bilinear weights: the two source indices and their weights per output index
/// (torch's `area_pixel_compute_source_index` + `guard_index_and_lambda`, in Float32).
struct LinearTaps {
    var i0: [Int], i1: [Int], l0: [Float], l1: [Float]

    init(input: Int, output: Int, alignCorners: Bool, scaleFactor: Double?) {
        let scale: Float
        if alignCorners {
            scale = output > 1 ? Float(input - 1) / Float(output - 1) : 0
        } else {
            scale = sourceScale(input: input, output: output, scaleFactor: scaleFactor)
        }
        i0 = []; i1 = []; l0 = []; l1 = []
        for d in 0..<output {
            var real: Float
            if alignCorners {
                real = scale * Float(d)
            } else {
                real = fusedMultiplyAdd(scale, Float(d) + 0.5, -0.5)
                if real < 0 { real = 0 }
            }
            let idx = min(Int(real.rounded(.down)), input - 1)
            let lambda = min(max(real - Float(idx), 0), 1)
            i0.append(idx)
            i1.append(idx + (idx < input - 1 ? 1 : 0))
            l1.append(lambda)
            l0.append(1 - lambda)
        }
    }
}

/// a * b + c rounded once, as torch's kernels get it from the compiler's FMA contraction (AVX2/AVX-512
/// builds). The Float product is exact in Double, so only the sum rounds twice (Double, then Float),
/// which differs from a true FMA only when it lands exactly on a Float rounding midpoint.
@inline(__always)
func fusedMultiplyAdd(_ a: Float, _ b: Float, _ c: Float) -> Float {
    Float(Double(a) * Double(b) + Double(c))
}

/// F.interpolate(mode='bilinear', size=..., align_corners=...) with torch's upsample_bilinear2d
/// index and weight rule, bit-exact with torch's generic NCHW kernel (what it runs when
/// output H + W > 128, unless it is single-threaded with 3 channels). For smaller outputs torch
/// switches to a channels-last kernel that rounds differently (within a few ulp). `scales` (h, w) are the scale factors torch was given, if any; they are
/// used (as 1 / scale) only when alignCorners is false, like torch.
public func interpolateBilinear(_ x: Tensor, size: (Int, Int), alignCorners: Bool,
                                scales: (Double, Double)? = nil) throws -> Tensor {
    let (n, c, h, w) = try x.nchw("interpolateBilinear")
    try checkedSize("interpolateBilinear", size)
    let (outH, outW) = size
    let ty = LinearTaps(input: h, output: outH, alignCorners: alignCorners, scaleFactor: scales?.0)
    let tx = LinearTaps(input: w, output: outW, alignCorners: alignCorners, scaleFactor: scales?.1)
    // Separable evaluation with torch's rounding: each input row is interpolated along W once
    // (rows[ih][ow] = fma(x[ih][c0], w0, x[ih][c1] * w1)), then every output row combines two of
    // those rows. Per element this is exactly the generic kernel's arithmetic, done once per input row.
    return Tensor.uninitialized(shape: [n, c, outH, outW]) { out in
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: h * outW)
        defer { rows.deallocate() }
        x.storage.withUnsafeBufferPointer { src in
            for plane in 0..<(n * c) {
                let ip = src.baseAddress! + plane * h * w
                let op = out.baseAddress! + plane * outH * outW
                for ih in 0..<h {
                    let s = ip + ih * w, r = rows + ih * outW
                    for ow in 0..<outW {
                        r[ow] = fusedMultiplyAdd(s[tx.i0[ow]], tx.l0[ow], s[tx.i1[ow]] * tx.l1[ow])
                    }
                }
                for oh in 0..<outH {
                    let top = rows + ty.i0[oh] * outW, bottom = rows + ty.i1[oh] * outW
                    let h0 = ty.l0[oh], h1 = ty.l1[oh]
                    let dst = op + oh * outW
                    for ow in 0..<outW { dst[ow] = fusedMultiplyAdd(top[ow], h0, bottom[ow] * h1) }
                }
            }
        }
    }
}

/// F.interpolate(mode='bilinear', scale_factor=s, align_corners=...) (recompute_scale_factor unset).
public func interpolateBilinear(_ x: Tensor, scaleFactor: Double, alignCorners: Bool) throws -> Tensor {
    let (_, _, h, w) = try x.nchw("interpolateBilinear")
    guard scaleFactor > 0, scaleFactor.isFinite else {
        throw TensorError.invalidArgument(op: "interpolateBilinear", message: "scale factor \(scaleFactor) must be > 0")
    }
    let size = (Int(Double(h) * scaleFactor), Int(Double(w) * scaleFactor))
    return try interpolateBilinear(x, size: size, alignCorners: alignCorners, scales: (scaleFactor, scaleFactor))
}
