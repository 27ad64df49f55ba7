/// torch.nn.functional.linear: x [..., in] times weight [out, in] transposed, plus bias [out], via one GEMM.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
    guard x.rank >= 1, weight.rank == 2, x.shape.last == weight.shape[1] else {
        throw TensorError.invalidShape(op: "linear", message: "input \(x.shape) does not fit weight \(weight.shape)")
    }
    let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
    if let bias, bias.shape != [outFeatures] {
        throw TensorError.invalidShape(op: "linear", message: "bias must be [\(outFeatures)], got \(bias.shape)")
    }
    let rows = x.count / max(1, inFeatures)
    var shape = x.shape
    shape[shape.count - 1] = outFeatures
    if rows == 0 || outFeatures == 0 { return Tensor(zeros: shape) }
    if inFeatures == 0 {
        let b = bias?.storage ?? [Float](repeating: 0, count: outFeatures)
        return Tensor(shape: shape, storage: Array((0..<rows).map { _ in b }.joined()))
    }
    // At most 4 blocks fixed by the shape alone, so the result is the same for any thread count (OpenBLAS
    // itself stays single-threaded). Each GEMM call packs the operands it is given, so the blocks cut the
    // larger of x and the weight (Faster R-CNN's fc6 weight is 51 MB): each block packs its slice of that one
    // and all of the smaller.
    let byColumns = outFeatures >= rows
    let length = byColumns ? outFeatures : rows
    let perBlock = max(64, (length + 3) / 4)
    let blocks = (length + perBlock - 1) / perBlock
    let flops = rows * outFeatures * inFeatures
    let workers = flops >= 4_000_000 ? EngineThreads.current : 1
    return Tensor.uninitialized(shape: shape) { out in
        x.storage.withUnsafeBufferPointer { xp in
            weight.storage.withUnsafeBufferPointer { wp in
                let x = xp.baseAddress!, w = wp.baseAddress!, o = out.baseAddress!
                parallelBlocks(blocks, workers: workers) { _, block in
                    let start = block * perBlock, count = min(perBlock, length - start)
                    if byColumns {
                        // Output features start..<start + count: rows of the weight.
                        sgemm(m: rows, n: count, k: inFeatures, a: x, lda: inFeatures, b: w + start * inFeatures,
                              ldb: inFeatures, c: o + start, ldc: outFeatures, transposeB: true)
                    } else {
                        sgemm(m: count, n: outFeatures, k: inFeatures, a: x + start * inFeatures, lda: inFeatures,
                              b: w, ldb: inFeatures, c: o + start * outFeatures, ldc: outFeatures, transposeB: true)
                    }
                }
            }
        }
        if let bias {
            bias.storage.withUnsafeBufferPointer { bp in
                for r in 0..<rows {
                    let row = out.baseAddress! + r * outFeatures
                    for j in 0..<outFeatures { row[j] += bp[j] }
                }
            }
        }
    }
}
