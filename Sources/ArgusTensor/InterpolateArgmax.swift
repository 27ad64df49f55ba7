/// The class index of the largest value per output pixel of F.interpolate(x, size, mode='bilinear') on a
/// [1, C, H, W] tensor (torch.argmax over dim 1: the first maximum; a NaN counts as the maximum), row-major,
/// without materialising the [C, outH, outW] upsampled tensor: a semantic model's logits brought back to a
/// 40-megapixel photo would take 21 x 160 MB. Values are interpolateBilinear's, bit for bit.
public func interpolateBilinearArgmax(_ x: Tensor, size: (Int, Int), alignCorners: Bool) throws -> [UInt8] {
    let (n, c, h, w) = try x.nchw("interpolateBilinearArgmax")
    guard n == 1, (1...256).contains(c) else {
        throw TensorError.invalidShape(op: "interpolateBilinearArgmax", message: "needs [1, 1...256, H, W], got \(x.shape)")
    }
    guard size.0 >= 1, size.1 >= 1 else {
        throw TensorError.invalidArgument(op: "interpolateBilinearArgmax", message: "output size \(size) must be positive")
    }
    let (outH, outW) = size
    let ty = LinearTaps(input: h, output: outH, alignCorners: alignCorners, scaleFactor: nil)
    let tx = LinearTaps(input: w, output: outW, alignCorners: alignCorners, scaleFactor: nil)
    var labels = [UInt8](repeating: 0, count: outH * outW)
    let workers = workerCount(elements: c * outH * outW / 4, available: EngineThreads.current)
    x.storage.withUnsafeBufferPointer { src in
        labels.withUnsafeMutableBufferPointer { out in
            let src = src.baseAddress!, out = out.baseAddress!
            parallelRanges(outH, workers: workers) { rows in
                // Per class, the two source rows interpolated along W; reused while the output rows map to the
                // same source pair (most of them when upsampling).
                let top = UnsafeMutablePointer<Float>.allocate(capacity: c * outW)
                let bottom = UnsafeMutablePointer<Float>.allocate(capacity: c * outW)
                let best = UnsafeMutablePointer<Float>.allocate(capacity: outW)
                let index = UnsafeMutablePointer<Int32>.allocate(capacity: outW)
                defer { top.deallocate(); bottom.deallocate(); best.deallocate(); index.deallocate() }
                var cached = (-1, -1)
                func horizontal(_ row: Int, into dst: UnsafeMutablePointer<Float>) {
                    for k in 0..<c {
                        let s = src + (k * h + row) * w, d = dst + k * outW
                        for ow in 0..<outW { d[ow] = fusedMultiplyAdd(s[tx.i0[ow]], tx.l0[ow], s[tx.i1[ow]] * tx.l1[ow]) }
                    }
                }
                for oh in rows {
                    let pair = (ty.i0[oh], ty.i1[oh])
                    if pair != cached {
                        horizontal(pair.0, into: top)
                        horizontal(pair.1, into: bottom)
                        cached = pair
                    }
                    let h0 = ty.l0[oh], h1 = ty.l1[oh]
                    for ow in 0..<outW {
                        best[ow] = fusedMultiplyAdd(top[ow], h0, bottom[ow] * h1)
                        index[ow] = 0
                    }
                    for k in 1..<max(c, 1) {
                        argmaxStep(top + k * outW, bottom + k * outW, h0, h1, Int32(k), best, index, count: outW)
                    }
                    let label = out + oh * outW
                    for ow in 0..<outW { label[ow] = UInt8(truncatingIfNeeded: index[ow]) }
                }
            }
        }
    }
    return labels
}

/// One class's interpolated row t * h0 + b * h1 (fused, as interpolateBilinear) against the best so far: it wins
/// where it is larger, or NaN over a number (torch.argmax's first maximum, NaN the largest). Eight lanes at a time.
@inline(__always)
private func argmaxStep(_ t: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ h0: Float, _ h1: Float, _ k: Int32,
                        _ best: UnsafeMutablePointer<Float>, _ index: UnsafeMutablePointer<Int32>, count: Int) {
    let h0v = Vec(repeating: h0), h1v = Vec(repeating: h1), kv = SIMD8<Int32>(repeating: k)
    let tr = UnsafeRawPointer(t), br = UnsafeRawPointer(b)
    let bestRaw = UnsafeMutableRawPointer(best), indexRaw = UnsafeMutableRawPointer(index)
    var ow = 0
    while ow + vecWidth <= count {
        let offset = ow * 4
        let v = (br.loadUnaligned(fromByteOffset: offset, as: Vec.self) * h1v)
            .addingProduct(tr.loadUnaligned(fromByteOffset: offset, as: Vec.self), h0v)
        let old = bestRaw.loadUnaligned(fromByteOffset: offset, as: Vec.self)
        let wins = (v .> old) .| ((v .!= v) .& (old .== old))
        bestRaw.storeBytes(of: old.replacing(with: v, where: wins), toByteOffset: offset, as: Vec.self)
        let i = indexRaw.loadUnaligned(fromByteOffset: offset, as: SIMD8<Int32>.self)
        indexRaw.storeBytes(of: i.replacing(with: kv, where: wins), toByteOffset: offset, as: SIMD8<Int32>.self)
        ow += vecWidth
    }
    while ow < count {
        let v = fusedMultiplyAdd(t[ow], h0, b[ow] * h1)
        if v > best[ow] || (v.isNaN && !best[ow].isNaN) { best[ow] = v; index[ow] = k }
        ow += 1
    }
}
