import ArgusTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fused dynamic-quantization conv block: ConvInteger, Cast to float, Mul by the runtime scale
/// (x_scale * w_scale), optional per-channel bias Add, optional x * sigmoid(x) — in the unfused graph's
/// arithmetic order: y = float(acc) * scale + bias; y * mlasLogistic(y).
/// Inputs: (x_q, x_zero_point?, scale).
struct QuantConvKernel: Kernel {
    let conv: ConvIntegerKernel
    let bias: [Float]?
    let silu: Bool
    let label: String

    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType] { [.float] }

    func run(_ inputs: [Value?]) throws -> [Value] {
        var acc = try conv.accumulate(inputs[0]!, zeroPoint: inputs[1])
        let scaleValue = inputs[2]!
        let scale = try scaleValue.floats("\(label) scale")
        guard scale.count == 1 else { return try unfused(acc, scaleValue) }
        let s = scale[0]
        let c = acc.shape[1], plane = acc.shape[2] * acc.shape[3], batch = acc.shape[0]
        acc.storage.withUnsafeMutableBufferPointer { p in
            guard let base = p.baseAddress else { return }
            // One task per (image, channel) plane; the pass runs while the plane is in cache.
            parallelSlices(batch * c, minimumPerWorker: max(1, (1 << 16) / max(1, plane))) { planes in
                for pl in planes {
                    let ch = pl % c
                    let row = base + pl * plane
                    if let bias {
                        let b = bias[ch]
                        for i in 0..<plane { row[i] = row[i] * s + b }
                    } else {
                        for i in 0..<plane { row[i] = row[i] * s }
                    }
                    if silu { siluInPlace(row, count: plane) }
                }
            }
        }
        return [Value(acc)]
    }

    /// A non-scalar scale: the plain graph ops, broadcasting as onnxruntime would.
    private func unfused(_ acc: Tensor, _ scale: Value) throws -> [Value] {
        var y = try BinaryKernel(op: .mul, label: label).run([Value(acc), scale])[0]
        if let bias {
            y = try BinaryKernel(op: .add, label: label).run([y, Value(floats: bias, shape: [1, bias.count, 1, 1])])[0]
        }
        if silu {
            let v = try y.floats(label)
            y = Value(floats: v.map { $0 * mlasLogistic($0) }, shape: y.shape)
        }
        return [y]
    }
}
