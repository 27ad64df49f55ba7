import CKernels

/// An elementwise activation with PyTorch's definition; used standalone or fused into a conv's output pass.
public enum Activation: Sendable, Equatable {
    /// max(x, 0)
    case relu
    /// min(max(x, 0), 6)
    case relu6
    /// x * sigmoid(x), computed as x / (1 + e^-x) like torch
    case silu
    /// 1 / (1 + e^-x)
    case sigmoid
    /// x * min(max(x + 3, 0), 6) / 6
    case hardswish
    /// min(max(x + 3, 0), 6) / 6
    case hardsigmoid
    /// x for x > 0, else x * slope
    case leakyReLU(slope: Float)

    /// Applies the activation in place to `count` floats.
    func apply(_ p: UnsafeMutablePointer<Float>, count: Int) {
        Activation.biasAndActivate(p, count: count, bias: 0, activation: self)
    }

    /// Adds `bias` then applies the activation (if any) in place: the fused conv epilogue.
    /// One specialized loop per case, so the switch stays outside the element loop.
    static func biasAndActivate(_ p: UnsafeMutablePointer<Float>, count: Int, bias: Float,
                                activation: Activation?) {
        let b = Vec(repeating: bias)
        guard let activation else {
            if bias != 0 { mapInPlace(p, count: count, BiasAdd(bias: b)) }
            return
        }
        switch activation {
        case .relu: mapInPlace(p, count: count, Biased(bias: b, f: ReLU()))
        case .relu6: mapInPlace(p, count: count, Biased(bias: b, f: ReLU6()))
        case .silu:
            #if arch(x86_64)
            argus_bias_silu(CPUFeatures.avx512 ? 1 : 0, p, count, bias)
            #else
            mapInPlace(p, count: count, Biased(bias: b, f: SiLU()))
            #endif
        case .sigmoid: mapInPlace(p, count: count, Biased(bias: b, f: Sigmoid()))
        case .hardswish: mapInPlace(p, count: count, Biased(bias: b, f: Hardswish()))
        case .hardsigmoid: mapInPlace(p, count: count, Biased(bias: b, f: Hardsigmoid()))
        case .leakyReLU(let slope): mapInPlace(p, count: count, Biased(bias: b, f: LeakyReLU(slope: Vec(repeating: slope))))
        }
    }
}

extension Tensor {
    /// Applies `activation` to every element in place.
    public mutating func apply(_ activation: Activation) {
        let n = count
        guard n > 0 else { return }
        storage.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!
            // Vector-aligned slices, so every element sees the same (full-vector) arithmetic.
            let vectors = (n + vecWidth - 1) / vecWidth
            parallelRanges(vectors, workers: workerCount(elements: n, available: EngineThreads.current)) { r in
                let start = r.lowerBound * vecWidth
                activation.apply(p + start, count: min(n, r.upperBound * vecWidth) - start)
            }
        }
    }
}

/// `x` with `activation` applied to every element.
public func activate(_ x: Tensor, _ activation: Activation) -> Tensor {
    var y = x
    y.apply(activation)
    return y
}

/// torch.nn.functional.relu
public func relu(_ x: Tensor) -> Tensor { activate(x, .relu) }
/// torch.nn.functional.relu6
public func relu6(_ x: Tensor) -> Tensor { activate(x, .relu6) }
/// torch.nn.functional.silu
public func silu(_ x: Tensor) -> Tensor { activate(x, .silu) }
/// torch.sigmoid
public func sigmoid(_ x: Tensor) -> Tensor { activate(x, .sigmoid) }
/// torch.nn.functional.hardswish
public func hardswish(_ x: Tensor) -> Tensor { activate(x, .hardswish) }
/// torch.nn.functional.hardsigmoid
public func hardsigmoid(_ x: Tensor) -> Tensor { activate(x, .hardsigmoid) }
/// torch.nn.functional.leaky_relu
public func leakyReLU(_ x: Tensor, slope: Float = 0.01) -> Tensor { activate(x, .leakyReLU(slope: slope)) }

// Lane kernels with torch's formulas and operation order.
struct BiasAdd: LaneKernel {
    let bias: Vec
    @inline(__always) func callAsFunction(_ x: Vec) -> Vec { x + bias }
}
struct Biased<F: LaneKernel>: LaneKernel {
    let bias: Vec
    let f: F
    @inline(__always) func callAsFunction(_ x: Vec) -> Vec { f(x + bias) }
}
struct ReLU: LaneKernel {
    @inline(__always) func callAsFunction(_ x: Vec) -> Vec { x.replacing(with: 0, where: x .< 0) }
}
struct ReLU6: LaneKernel {
    @inline(__always) func callAsFunction(_ x: Vec) -> Vec { clamp06(x) }
}
struct SiLU: LaneKernel {
    @inline(__always) func callAsFunction(_ x: Vec) -> Vec { x / (1 + vexpForLogistic(-x)) }
}
struct Sigmoid: LaneKernel {
    @inline(__always) func callAsFunction(_ x: Vec) -> Vec { 1 / (1 + vexp(-x)) }
}
struct Hardswish: LaneKernel {
    @inline(__always) func callAsFunction(_ x: Vec) -> Vec { x * clamp06(x + 3) / 6 }
}
struct Hardsigmoid: LaneKernel {
    @inline(__always) func callAsFunction(_ x: Vec) -> Vec { clamp06(x + 3) / 6 }
}
struct LeakyReLU: LaneKernel {
    let slope: Vec
    @inline(__always) func callAsFunction(_ x: Vec) -> Vec { x.replacing(with: x * slope, where: x .<= 0) }
}
@inline(__always) private func clamp06(_ x: Vec) -> Vec {
    x.replacing(with: 0, where: x .< 0).replacing(with: 6, where: x .> 6)
}
