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
                defer { top.deallocate(); bottom.deallocate(); best.deallocate() }
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
                    let label = out + oh * outW
                    for ow in 0..<outW {
                        best[ow] = fusedMultiplyAdd(top[ow], h0, bottom[ow] * h1)
                        label[ow] = 0
                    }
                    for k in 1..<max(c, 1) {
                        let t = top + k * outW, b = bottom + k * outW
                        let index = UInt8(truncatingIfNeeded: k)
                        for ow in 0..<outW {
                            let v = fusedMultiplyAdd(t[ow], h0, b[ow] * h1)
                            if v > best[ow] || (v.isNaN && !best[ow].isNaN) { best[ow] = v; label[ow] = index }
                        }
                    }
                }
            }
        }
    }
    return labels
}
