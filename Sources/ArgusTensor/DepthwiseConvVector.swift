/// Depthwise conv for column strides 1 and 2 with the taps accumulated in SIMD registers: each
/// plane is first copied into a zero-bordered scratch plane (so no tap needs a bounds check), then
/// every run of eight output columns takes all kH x kW multiply-adds in one register and is stored
/// once (instead of a load, multiply-add and store per tap and element); the bias and activation
/// follow per batch of rows while they are in L1.
/// Taps are summed in the same order as the row-wise loop (kernel row, then column), with fused
/// multiply-adds.
func depthwiseConv2dVector(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                           g: ConvGeometry, planes: Range<Int>, activation: Activation?,
                           output: UnsafeMutablePointer<Float>) {
    func run<F: LaneKernel>(_ f: F) {
        if g.strideW == 1 {
            depthwisePlanes(UnitStrideTaps.self, f, input, weight, bias, g, planes, output)
        } else {
            depthwisePlanes(DoubleStrideTaps.self, f, input, weight, bias, g, planes, output)
        }
    }
    guard let activation else { return run(Identity()) }
    switch activation {
    case .relu: run(ReLU())
    case .relu6: run(ReLU6())
    case .silu: run(SiLU())
    case .sigmoid: run(Sigmoid())
    case .hardswish: run(Hardswish())
    case .hardsigmoid: run(Hardsigmoid())
    case .leakyReLU(let slope): run(LeakyReLU(slope: Vec(repeating: slope)))
    }
}

/// Loads the input under one tap for eight consecutive output columns starting at `ow`.
private protocol TapLoad {
    static var stride: Int { get }
    static func load(_ row: UnsafePointer<Float>, _ ow: Int) -> Vec
}
private enum UnitStrideTaps: TapLoad {
    static var stride: Int { 1 }
    @inline(__always) static func load(_ row: UnsafePointer<Float>, _ ow: Int) -> Vec {
        UnsafeRawPointer(row + ow).loadUnaligned(as: Vec.self)
    }
}
private enum DoubleStrideTaps: TapLoad {
    static var stride: Int { 2 }
    @inline(__always) static func load(_ row: UnsafePointer<Float>, _ ow: Int) -> Vec {
        UnsafeRawPointer(row + 2 * ow).loadUnaligned(as: SIMD16<Float>.self).evenHalf
    }
}

/// Output elements per bias + activation pass.
private let epilogueBatch = 1024

struct Identity: LaneKernel {
    @inline(__always) func callAsFunction(_ x: Vec) -> Vec { x }
}

@inline(__always)
private func depthwisePlanes<L: TapLoad, F: LaneKernel>(_: L.Type, _ f: F, _ input: UnsafePointer<Float>,
                                                        _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                                                        _ g: ConvGeometry, _ planes: Range<Int>,
                                                        _ output: UnsafeMutablePointer<Float>) {
    let kH = g.kH, kW = g.kW, dH = g.dilationH, dW = g.dilationW, sH = g.strideH, outW = g.outW
    // Scratch row length: the padded row, and room for the last (partial) block's full-vector loads.
    let blocksW = (outW + vecWidth - 1) / vecWidth * vecWidth
    let ld = max(g.inW + 2 * g.padW, blocksW * L.stride + (kW - 1) * dW)
    let rows = g.inH + 2 * g.padH
    let padded = UnsafeMutablePointer<Float>.allocate(capacity: rows * ld)
    defer { padded.deallocate() }
    padded.initialize(repeating: 0, count: rows * ld)
    let is3x3 = kH == 3 && kW == 3
    for plane in planes {
        let c = plane % g.inChannels
        let src = input + plane * g.inPlane
        for r in 0..<g.inH {
            (padded + (r + g.padH) * ld + g.padW).update(from: src + r * g.inW, count: g.inW)
        }
        let dstPlane = output + plane * g.outPlane
        let w = weight + c * kH * kW
        let epilogue = Biased(bias: Vec(repeating: bias?[c] ?? 0), f: f)
        // The bias and activation run as a separate pass over each batch of finished rows (still in
        // L1): fused into the tap loop, the taps' and the activation's dependency chains in one
        // iteration were too long for out-of-order execution to overlap blocks.
        let plain = F.self == Identity.self && (bias?[c] ?? 0) == 0
        var pending = 0
        func finished(_ oh: Int) {
            let rows = oh + 1 - pending
            guard rows * outW >= epilogueBatch || oh + 1 == g.outH else { return }
            if !plain { mapInPlace(dstPlane + pending * outW, count: rows * outW, epilogue) }
            pending = oh + 1
        }
        if is3x3 {
            let w0 = Vec(repeating: w[0]), w1 = Vec(repeating: w[1]), w2 = Vec(repeating: w[2])
            let w3 = Vec(repeating: w[3]), w4 = Vec(repeating: w[4]), w5 = Vec(repeating: w[5])
            let w6 = Vec(repeating: w[6]), w7 = Vec(repeating: w[7]), w8 = Vec(repeating: w[8])
            for oh in 0..<g.outH {
                let r0 = UnsafePointer(padded + oh * sH * ld), r1 = r0 + dH * ld, r2 = r1 + dH * ld
                rowBlocks(outW, dstPlane + oh * outW, spill: oh + 1 < g.outH && outW >= vecWidth) { ow in
                    var acc = L.load(r0, ow) * w0
                    acc = acc.addingProduct(L.load(r0 + dW, ow), w1)
                    acc = acc.addingProduct(L.load(r0 + 2 * dW, ow), w2)
                    acc = acc.addingProduct(L.load(r1, ow), w3)
                    acc = acc.addingProduct(L.load(r1 + dW, ow), w4)
                    acc = acc.addingProduct(L.load(r1 + 2 * dW, ow), w5)
                    acc = acc.addingProduct(L.load(r2, ow), w6)
                    acc = acc.addingProduct(L.load(r2 + dW, ow), w7)
                    return acc.addingProduct(L.load(r2 + 2 * dW, ow), w8)
                }
                finished(oh)
            }
        } else {
            for oh in 0..<g.outH {
                let top = UnsafePointer(padded + oh * sH * ld)
                rowBlocks(outW, dstPlane + oh * outW, spill: oh + 1 < g.outH && outW >= vecWidth) { ow in
                    var acc = Vec(repeating: 0)
                    for i in 0..<kH {
                        let row = top + i * dH * ld
                        for j in 0..<kW { acc = acc.addingProduct(L.load(row + j * dW, ow), Vec(repeating: w[i * kW + j])) }
                    }
                    return acc
                }
                finished(oh)
            }
        }
    }
}

/// Stores `block(ow)` for ow = 0, 8, 16, ... < outW into `dst` (the last block partially).
/// With `spill` the last block is stored whole: its extra lanes land on the start of the next row,
/// which is written afterwards (a lane-by-lane store would make the compiler scalarize the block).
/// Callers allow it only when a next row exists and is at least a vector long, so the extra lanes
/// (fewer than `vecWidth`) never leave it: past it lies another worker's plane or the buffer's end.
@inline(__always)
private func rowBlocks(_ outW: Int, _ dst: UnsafeMutablePointer<Float>, spill: Bool, _ block: (Int) -> Vec) {
    var ow = 0
    let raw = UnsafeMutableRawPointer(dst)
    while ow + vecWidth <= outW {
        raw.storeBytes(of: block(ow), toByteOffset: ow * 4, as: Vec.self)
        ow += vecWidth
    }
    guard ow < outW else { return }
    let v = block(ow)
    if spill {
        raw.storeBytes(of: v, toByteOffset: ow * 4, as: Vec.self)
    } else {
        withUnsafeBytes(of: v) { UnsafeMutableRawPointer(dst + ow).copyMemory(from: $0.baseAddress!, byteCount: (outW - ow) * 4) }
    }
}
