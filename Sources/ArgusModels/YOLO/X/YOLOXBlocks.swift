import ArgusTensor

/// YOLOX building blocks (`yolox/models/network_blocks.py`), loading their weights by the published names below
/// their prefix (e.g. `backbone.C3_p4.m.0.conv2.dconv.conv.weight`). Every conv is Conv2d + BatchNorm2d (eps 1e-3,
/// folded at load) + SiLU, YOLOX's `act="silu"` in all the released exps.

/// `BaseConv` (k x k conv, padding (k - 1) / 2) or `DWConv` (depthwise k x k `dconv` then 1x1 `pconv`), as the
/// model's `depthwise` flag picks for the 3x3 convs.
struct YOLOXConv {
    let convs: [ConvBlock]

    init(_ w: any WeightSource, _ prefix: String, c1: Int, c2: Int, k: Int, s: Int = 1, depthwise: Bool = false) throws {
        if depthwise {
            convs = [try ConvBlock(w, "\(prefix).dconv", c1: c1, c2: c1, k: k, s: s, g: c1, act: .silu),
                     try ConvBlock(w, "\(prefix).pconv", c1: c1, c2: c2, k: 1, act: .silu)]
        } else {
            convs = [try ConvBlock(w, prefix, c1: c1, c2: c2, k: k, s: s, act: .silu)]
        }
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        var y = x
        for conv in convs { y = try conv(y) }
        return y
    }
}

/// `Bottleneck`: 1x1 `conv1` then 3x3 `conv2` (hidden = out channels, expansion 1.0 inside CSPLayer), plus the
/// input when `shortcut` and the channels agree.
struct YOLOXBottleneck {
    let conv1: YOLOXConv, conv2: YOLOXConv
    let add: Bool

    init(_ w: any WeightSource, _ prefix: String, c1: Int, c2: Int, shortcut: Bool, depthwise: Bool) throws {
        conv1 = try YOLOXConv(w, "\(prefix).conv1", c1: c1, c2: c2, k: 1)
        conv2 = try YOLOXConv(w, "\(prefix).conv2", c1: c2, c2: c2, k: 3, depthwise: depthwise)
        add = shortcut && c1 == c2
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let y = try conv2(conv1(x))
        return add ? try ArgusTensor.add(y, x) : y
    }
}

/// `CSPLayer`: `conv3(cat(m(conv1(x)), conv2(x)))` with `n` bottlenecks at half the output channels.
struct CSPLayer {
    let conv1: YOLOXConv, conv2: YOLOXConv, conv3: YOLOXConv
    let m: [YOLOXBottleneck]

    init(_ w: any WeightSource, _ prefix: String, c1: Int, c2: Int, n: Int, shortcut: Bool = true,
         depthwise: Bool) throws {
        let hidden = c2 / 2  // int(out_channels * 0.5)
        conv1 = try YOLOXConv(w, "\(prefix).conv1", c1: c1, c2: hidden, k: 1)
        conv2 = try YOLOXConv(w, "\(prefix).conv2", c1: c1, c2: hidden, k: 1)
        conv3 = try YOLOXConv(w, "\(prefix).conv3", c1: 2 * hidden, c2: c2, k: 1)
        m = try (0..<n).map {
            try YOLOXBottleneck(w, "\(prefix).m.\($0)", c1: hidden, c2: hidden, shortcut: shortcut, depthwise: depthwise)
        }
    }

    /// How many bottlenecks the checkpoint has under `prefix.m` (YOLOX derives them from the depth multiplier).
    static func bottleneckCount(_ w: any WeightSource, _ prefix: String) -> Int {
        var n = 0
        while w.contains("\(prefix).m.\(n).conv1.conv.weight") { n += 1 }
        return n
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        var y = try conv1(x)
        for b in m { y = try b(y) }
        return try conv3(concat([y, try conv2(x)], axis: 1))
    }
}

/// `SPPBottleneck`: `conv1` to half the channels, max pools 5 / 9 / 13 (stride 1, same size) stacked with it,
/// then `conv2`.
struct SPPBottleneck {
    let conv1: YOLOXConv, conv2: YOLOXConv
    static let kernels = [5, 9, 13]

    init(_ w: any WeightSource, _ prefix: String, c1: Int, c2: Int) throws {
        let hidden = c1 / 2
        conv1 = try YOLOXConv(w, "\(prefix).conv1", c1: c1, c2: hidden, k: 1)
        conv2 = try YOLOXConv(w, "\(prefix).conv2", c1: hidden * (Self.kernels.count + 1), c2: c2, k: 1)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        // Pools 5, 9, 13 as one 5x5 pool applied 1, 2, 3 times (SPPF's identity: a max over a clipped 9x9 window
        // is the max over the clipped 5x5 windows of its clipped 5x5 neighbours), the same values at a fraction
        // of the comparisons.
        var ys = [try conv1(x)]
        for _ in Self.kernels { ys.append(try maxPool2d(ys[ys.count - 1], kernel: 5, stride: 1, padding: 2)) }
        return try conv2(concat(ys, axis: 1))
    }
}
