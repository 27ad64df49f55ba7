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
    return Tensor.uninitialized(shape: shape) { out in
        x.storage.withUnsafeBufferPointer { xp in
            weight.storage.withUnsafeBufferPointer { wp in
                sgemm(m: rows, n: outFeatures, k: inFeatures, a: xp.baseAddress!, lda: inFeatures,
                      b: wp.baseAddress!, ldb: inFeatures, c: out.baseAddress!, ldc: outFeatures, transposeB: true)
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
