/// onnxruntime's Sigmoid (MLAS `MlasComputeLogistic`): a rational approximation on [-18, 18] with
/// fused multiply-adds, p(x) / q(x) + 0.5, floored at 0 (it can exceed 1 by an ulp). Matching it bit
/// for bit matters for the quantized models: a sigmoid one ulp off can flip the next
/// DynamicQuantizeLinear's rounding. (Measured equal to onnxruntime 1.32 on an AVX-512 CPU for every
/// tested input; a CPU without FMA would make onnxruntime itself round differently.)
@inline(__always)
func mlasLogistic(_ x: Float) -> Float {
    let v = Swift.min(Swift.max(x, -18), 18)
    let v2 = v * v
    var p: Float = Float(1.15627324459942e-07).addingProduct(v2, Float(4.37031012579801e-11))
    p = Float(6.08574864600143e-05).addingProduct(p, v2)
    p = Float(8.51377133304701e-03).addingProduct(p, v2)
    p = Float(2.48287947061529e-01).addingProduct(p, v2)
    p = p * v
    var q: Float = Float(5.76102136993427e-09).addingProduct(v2, Float(6.10247389755681e-13))
    q = Float(6.29106785017040e-06).addingProduct(q, v2)
    q = Float(1.70198817374094e-03).addingProduct(q, v2)
    q = Float(1.16817656904453e-01).addingProduct(q, v2)
    q = Float(9.93151921023180e-01).addingProduct(q, v2)
    return Swift.max(p / q + 0.5, 0)
}

/// Sigmoid over a buffer in place.
func logisticInPlace(_ p: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { p[i] = mlasLogistic(p[i]) }
}

/// x * sigmoid(x) in place, as onnxruntime computes Sigmoid then Mul.
func siluInPlace(_ p: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { let y = p[i]; p[i] = y * mlasLogistic(y) }
}
