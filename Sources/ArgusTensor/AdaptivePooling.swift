/// torch.nn.functional.adaptive_avg_pool2d: output bin i averages input [floor(i*in/out), ceil((i+1)*in/out)).
public func adaptiveAvgPool2d(_ x: Tensor, outputSize: (Int, Int)) throws -> Tensor {
    let (n, c, h, w) = try x.nchw("adaptiveAvgPool2d")
    let (outH, outW) = outputSize
    guard outH >= 1, outW >= 1, h >= 1, w >= 1 else {
        throw TensorError.invalidArgument(op: "adaptiveAvgPool2d", message:
            "output size \(outputSize) and input \(h)x\(w) must be positive")
    }
    if outH == 1 && outW == 1 { return globalAvgPool2d(x, n: n, c: c, plane: h * w) }
    return Tensor.uninitialized(shape: [n, c, outH, outW]) { out in
        x.storage.withUnsafeBufferPointer { src in
            for plane in 0..<(n * c) {
                let ip = src.baseAddress! + plane * h * w
                let op = out.baseAddress! + plane * outH * outW
                for oh in 0..<outH {
                    let h0 = oh * h / outH, h1 = ((oh + 1) * h + outH - 1) / outH
                    for ow in 0..<outW {
                        let w0 = ow * w / outW, w1 = ((ow + 1) * w + outW - 1) / outW
                        var sum: Float = 0
                        for ih in h0..<h1 { for iw in w0..<w1 { sum += ip[ih * w + iw] } }
                        op[oh * outW + ow] = sum / Float(h1 - h0) / Float(w1 - w0)
                    }
                }
            }
        }
    }
}

/// Mean over H and W per channel (adaptive_avg_pool2d to (1, 1), which torch computes as `mean`).
/// Summed in Double, so the result is the correctly rounded mean up to one rounding.
private func globalAvgPool2d(_ x: Tensor, n: Int, c: Int, plane: Int) -> Tensor {
    Tensor.uninitialized(shape: [n, c, 1, 1]) { out in
        x.storage.withUnsafeBufferPointer { src in
            parallelRanges(n * c, workers: workerCount(elements: n * c * plane, available: EngineThreads.current)) { planes in
                for p in planes {
                    // Four running sums in Double (a single chain waits on each add); rounded to Float once.
                    var sums = SIMD4<Double>(repeating: 0)
                    let base = src.baseAddress! + p * plane
                    var i = 0
                    while i + 4 <= plane {
                        sums += SIMD4(Double(base[i]), Double(base[i + 1]), Double(base[i + 2]), Double(base[i + 3]))
                        i += 4
                    }
                    var sum = sums.sum()
                    while i < plane { sum += Double(base[i]); i += 1 }
                    out[p] = Float(sum / Double(plane))
                }
            }
        }
    }
}
