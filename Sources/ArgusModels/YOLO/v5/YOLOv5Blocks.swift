import ArgusTensor

/// YOLOv5 building blocks (`models/common.py`), each loading its weights by the published names
/// below its prefix (e.g. `model.2.cv1.conv.weight`) and running the same forward.

/// `Conv`: Conv2d + BatchNorm2d (folded at load) + activation.
struct ConvBlock {
    /// The folded conv (Winograd for the 3x3 stride-1 convs of 64 or more channels).
    let conv: ConvLayer

    init(_ w: any WeightSource, _ prefix: String, c1: Int, c2: Int, k: Int = 1, s: Int = 1, p: Int? = nil,
         g: Int = 1, d: Int = 1, act: Activation?) throws {
        guard c1 % g == 0, c2 % g == 0 else { throw ModelError.malformedConfig("\(prefix): groups \(g) do not divide channels") }
        let (weight, bias) = try w.foldedConv(prefix, outChannels: c2, inChannelsPerGroup: c1 / g, kernel: k)
        // autopad: 'same' padding for odd kernels.
        conv = try ConvLayer(weight: weight, bias: bias, stride: s, padding: p ?? (d > 1 ? d * (k - 1) / 2 : k / 2),
                             dilation: d, groups: g, activation: act)
    }

    /// The same conv restricted to output channels `channels` (its filters and biases, packed anew).
    init(_ block: ConvBlock, outputChannels channels: Range<Int>) throws {
        let c = block.conv, s = c.weight.shape, perFilter = s[1] * s[2] * s[3]
        let rows = Array(c.weight.storage[(channels.lowerBound * perFilter)..<(channels.upperBound * perFilter)])
        conv = try ConvLayer(weight: Tensor(shape: [channels.count, s[1], s[2], s[3]], storage: rows),
                             bias: c.bias.map { Tensor(shape: [channels.count], storage: Array($0.storage[channels])) },
                             stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups,
                             activation: c.activation)
    }

    var weight: Tensor { conv.weight }

    func callAsFunction(_ x: Tensor) throws -> Tensor { try conv(x) }

    /// This (1x1) conv of `torch.cat(inputs, 1)`, without making the concatenation.
    func callAsFunction(concatenated inputs: [Tensor]) throws -> Tensor { try conv(concatenated: inputs) }
}

/// `Bottleneck`: 1x1 then 3x3 conv (YOLOv5; Ultralytics 8's C2f uses 3x3 then 3x3), with a residual add
/// when shapes allow.
struct Bottleneck {
    let cv1: ConvBlock
    let cv2: ConvBlock
    let add: Bool

    init(_ w: any WeightSource, _ prefix: String, c1: Int, c2: Int, shortcut: Bool, g: Int = 1, k: (Int, Int) = (1, 3),
         e: Double = 0.5, act: Activation?, act2: Activation?? = nil) throws {
        let hidden = Int(Double(c2) * e)
        cv1 = try ConvBlock(w, "\(prefix).cv1", c1: c1, c2: hidden, k: k.0, s: 1, act: act)
        cv2 = try ConvBlock(w, "\(prefix).cv2", c1: hidden, c2: c2, k: k.1, s: 1, g: g, act: act2 ?? act)
        add = shortcut && c1 == c2
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let y = try cv2(cv1(x))
        return add ? try ArgusTensor.add(x, y) : y
    }
}

/// `C3`: CSP bottleneck with three convs: `cv3(cat(m(cv1(x)), cv2(x)))`.
struct C3 {
    let cv1: ConvBlock, cv2: ConvBlock, cv3: ConvBlock
    let m: [Bottleneck]

    init(_ w: any WeightSource, _ prefix: String, c1: Int, c2: Int, n: Int, shortcut: Bool, g: Int = 1, e: Double = 0.5, act: Activation?) throws {
        let hidden = Int(Double(c2) * e)
        cv1 = try ConvBlock(w, "\(prefix).cv1", c1: c1, c2: hidden, act: act)
        cv2 = try ConvBlock(w, "\(prefix).cv2", c1: c1, c2: hidden, act: act)
        cv3 = try ConvBlock(w, "\(prefix).cv3", c1: 2 * hidden, c2: c2, act: act)
        m = try (0..<n).map { i in
            try Bottleneck(w, "\(prefix).m.\(i)", c1: hidden, c2: hidden, shortcut: shortcut, g: g, e: 1.0, act: act)
        }
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        var y = try cv1(x)
        for b in m { y = try b(y) }
        return try cv3(concatenated: [y, try cv2(x)])
    }
}

/// `SPPF`: one 5x5 max pool applied `n` (3) times in a row, equivalent to SPP(5, 9, 13) but faster;
/// Ultralytics' version may add the input back (`shortcut`) and give cv1 its own activation.
struct SPPF {
    let cv1: ConvBlock, cv2: ConvBlock
    let kernel: Int
    let repeats: Int
    let add: Bool

    init(_ w: any WeightSource, _ prefix: String, c1: Int, c2: Int, k: Int, n: Int = 3, shortcut: Bool = false,
         act: Activation?, cv1Act: Activation?? = nil) throws {
        guard (1...16).contains(n) else { throw ModelError.malformedConfig("\(prefix): SPPF n \(n) is out of range") }
        let hidden = c1 / 2
        cv1 = try ConvBlock(w, "\(prefix).cv1", c1: c1, c2: hidden, act: cv1Act ?? act)
        cv2 = try ConvBlock(w, "\(prefix).cv2", c1: hidden * (n + 1), c2: c2, act: act)
        kernel = k
        repeats = n
        add = shortcut && c1 == c2
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        var ys = [try cv1(x)]
        for _ in 0..<repeats { ys.append(try pool(ys[ys.count - 1])) }
        let y = try cv2(concatenated: ys)
        return add ? try ArgusTensor.add(y, x) : y
    }

    private func pool(_ x: Tensor) throws -> Tensor {
        try maxPool2d(x, kernel: kernel, stride: 1, padding: kernel / 2)
    }
}

/// `SPP`: parallel max pools of several sizes (older YOLOv5 releases).
struct SPP {
    let cv1: ConvBlock, cv2: ConvBlock
    let kernels: [Int]

    init(_ w: any WeightSource, _ prefix: String, c1: Int, c2: Int, k: [Int], act: Activation?) throws {
        let hidden = c1 / 2
        cv1 = try ConvBlock(w, "\(prefix).cv1", c1: c1, c2: hidden, act: act)
        cv2 = try ConvBlock(w, "\(prefix).cv2", c1: hidden * (k.count + 1), c2: c2, act: act)
        kernels = k
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let x = try cv1(x)
        let pooled = try kernels.map { try maxPool2d(x, kernel: $0, stride: 1, padding: $0 / 2) }
        return try cv2(concatenated: [x] + pooled)
    }
}

/// `Focus`: space-to-depth (four pixel phases stacked on channels) then a conv (releases before v6.0).
struct Focus {
    let conv: ConvBlock

    init(_ w: any WeightSource, _ prefix: String, c1: Int, c2: Int, k: Int, s: Int, p: Int?, g: Int, act: Activation?) throws {
        conv = try ConvBlock(w, "\(prefix).conv", c1: c1 * 4, c2: c2, k: k, s: s, p: p, g: g, act: act)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        // cat(x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2])
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        let oh = (h + 1) / 2, ow = (w + 1) / 2
        guard h % 2 == 0, w % 2 == 0 else { throw ModelError.malformedConfig("Focus needs even input sizes") }
        var out = [Float](repeating: 0, count: n * 4 * c * oh * ow)
        let phases = [(0, 0), (1, 0), (0, 1), (1, 1)]  // (row offset, column offset)
        x.storage.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for b in 0..<n {
                    for (p, (dy, dx)) in phases.enumerated() {
                        for ch in 0..<c {
                            let s = src.baseAddress! + (b * c + ch) * h * w
                            let d = dst.baseAddress! + ((b * 4 + p) * c + ch) * oh * ow
                            for y in 0..<oh { for xx in 0..<ow { d[y * ow + xx] = s[(2 * y + dy) * w + 2 * xx + dx] } }
                        }
                    }
                }
            }
        }
        return try conv(Tensor(shape: [n, 4 * c, oh, ow], storage: out))
    }
}
