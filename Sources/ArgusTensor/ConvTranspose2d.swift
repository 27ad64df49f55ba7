/// torch.nn.functional.conv_transpose2d for the non-overlapping case (kernel == stride, no padding, groups 1),
/// the learned 2x upsampling of Mask R-CNN's predictor: each input pixel spreads into its own k x k output
/// block, out[o, y*k+dy, x*k+dx] = bias[o] + sum_i weight[i, o, dy, dx] * x[i, y, x].
///
/// `weight` has PyTorch's transposed-conv layout [in, out, k, k]. One GEMM per image.
public func convTranspose2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int) throws -> Tensor {
    let (n, cin, h, w) = try input.nchw("convTranspose2d")
    guard weight.rank == 4, weight.shape[0] == cin, weight.shape[2] == weight.shape[3] else {
        throw TensorError.invalidShape(op: "convTranspose2d", message: "weight \(weight.shape) does not fit input \(input.shape)")
    }
    let cout = weight.shape[1], k = weight.shape[2]
    guard k == stride, k >= 1 else {
        throw TensorError.invalidArgument(op: "convTranspose2d", message: "only kernel == stride is supported, got kernel \(k) stride \(stride)")
    }
    if let bias, bias.shape != [cout] {
        throw TensorError.invalidShape(op: "convTranspose2d", message: "bias must be [\(cout)], got \(bias.shape)")
    }
    let kk = k * k, rows = cout * kk, plane = h * w
    // [in, out*k*k] -> [out*k*k, in], so the GEMM's rows are the output taps.
    var taps = [Float](repeating: 0, count: rows * cin)
    weight.storage.withUnsafeBufferPointer { wp in
        for i in 0..<cin { for r in 0..<rows { taps[r * cin + i] = wp[i * rows + r] } }
    }
    let biasValues = bias?.storage ?? [Float](repeating: 0, count: cout)
    let flops = n * rows * cin * plane
    let workers = flops >= 4_000_000 ? EngineThreads.current : 1
    return Tensor.uninitialized(shape: [n, cout, h * k, w * k]) { out in
        input.storage.withUnsafeBufferPointer { xp in
            taps.withUnsafeBufferPointer { tp in
                parallelBlocks(n, workers: workers) { _, image in
                    let g = UnsafeMutablePointer<Float>.allocate(capacity: rows * plane)
                    defer { g.deallocate() }
                    sgemm(m: rows, n: plane, k: cin, a: tp.baseAddress!, lda: cin,
                          b: xp.baseAddress! + image * cin * plane, ldb: plane, c: g, ldc: plane)
                    let o = out.baseAddress! + image * cout * plane * kk
                    let outW = w * k
                    for c in 0..<cout {
                        let b = biasValues[c]
                        let oc = o + c * plane * kk
                        for dy in 0..<k {
                            for dx in 0..<k {
                                let src = g + (c * kk + dy * k + dx) * plane
                                for y in 0..<h {
                                    let row = oc + (y * k + dy) * outW + dx
                                    let s = src + y * w
                                    for x in 0..<w { row[x * k] = s[x] + b }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
