import ArgusTensor

/// A stride-1 dilated kxk convolution (ASPP's branches) computed tap by tap: each kernel tap is a 1x1 conv over
/// the input rectangle it reads inside the image, added into the output rectangle it reaches. Taps that only
/// ever read zero padding cost nothing: at ASPP's rates 24 and 36 on a 30x40 map that is most of the work
/// direct convolution (and torch) spends. Same sums as conv2d, in another order.
struct AtrousConv {
    /// Per tap (row-major over the kernel): the [Cout, Cin, 1, 1] slice of the weights.
    let taps: [Tensor]
    let bias: Tensor?
    let kernel: Int
    let dilation: Int
    let padding: Int
    let relu: Bool

    /// The folded conv (weights [Cout, Cin, k, k]) as ConvNormActivation loaded it; only ReLU or no activation.
    init(_ conv: ConvNormActivation) throws {
        let s = conv.weight.shape
        guard conv.stride == 1, conv.groups == 1, s[2] == s[3], conv.activation == nil || conv.activation == .relu else {
            throw ModelError.malformedConfig("AtrousConv takes stride-1 ungrouped square convs with ReLU, got \(s)")
        }
        let (cout, cin, k) = (s[0], s[1], s[2])
        var taps: [Tensor] = []
        conv.weight.storage.withUnsafeBufferPointer { w in
            for t in 0..<(k * k) {
                var slice = [Float](repeating: 0, count: cout * cin)
                for o in 0..<cout { for i in 0..<cin { slice[o * cin + i] = w[(o * cin + i) * k * k + t] } }
                taps.append(Tensor(shape: [cout, cin, 1, 1], storage: slice))
            }
        }
        self.taps = taps
        bias = conv.bias
        kernel = k; dilation = conv.dilation; padding = conv.padding
        relu = conv.activation == .relu
    }

    /// For offset `o` (tap position * dilation - padding): the output range whose input index lies in [0, size).
    static func valid(offset o: Int, size: Int, outSize: Int) -> Range<Int> {
        let lo = max(0, -o), hi = min(outSize, size - o)
        return lo < hi ? lo..<hi : 0..<0
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let outH = h + 2 * padding - dilation * (kernel - 1), outW = w + 2 * padding - dilation * (kernel - 1)
        guard n == 1, outH >= 1, outW >= 1, cin == taps[0].shape[1] else {
            throw ModelError.invalidOption("AtrousConv: input \(x.shape) does not fit the kernel (batch 1)")
        }
        let cout = taps[0].shape[0]
        var out = Tensor(zeros: [1, cout, outH, outW])
        for t in 0..<(kernel * kernel) {
            let dy = (t / kernel) * dilation - padding, dx = (t % kernel) * dilation - padding
            let rows = Self.valid(offset: dy, size: h, outSize: outH), cols = Self.valid(offset: dx, size: w, outSize: outW)
            if rows.isEmpty || cols.isEmpty { continue }
            let full = rows.count == h && cols.count == w
            let input = full ? x : crop(x, rows: (rows.lowerBound + dy)..<(rows.upperBound + dy),
                                        cols: (cols.lowerBound + dx)..<(cols.upperBound + dx))
            let partial = try conv2d(input, weight: taps[t])
            accumulate(partial, into: &out, rows: rows, cols: cols)
        }
        finish(&out)
        return out
    }

    /// x[:, :, rows, cols] as a contiguous tensor.
    private func crop(_ x: Tensor, rows: Range<Int>, cols: Range<Int>) -> Tensor {
        let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3])
        var out = [Float](repeating: 0, count: c * rows.count * cols.count)
        x.storage.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                var k = 0
                for ch in 0..<c {
                    for y in rows {
                        let src = s.baseAddress! + (ch * h + y) * w + cols.lowerBound
                        (o.baseAddress! + k).update(from: src, count: cols.count)
                        k += cols.count
                    }
                }
            }
        }
        return Tensor(shape: [1, c, rows.count, cols.count], storage: out)
    }

    private func accumulate(_ p: Tensor, into out: inout Tensor, rows: Range<Int>, cols: Range<Int>) {
        let (c, outH, outW) = (out.shape[1], out.shape[2], out.shape[3])
        let pw = cols.count, ph = rows.count
        p.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for ch in 0..<c {
                    for y in 0..<ph {
                        let s = src.baseAddress! + (ch * ph + y) * pw
                        let d = dst.baseAddress! + (ch * outH + rows.lowerBound + y) * outW + cols.lowerBound
                        for i in 0..<pw { d[i] += s[i] }
                    }
                }
            }
        }
    }

    /// + bias, then ReLU.
    private func finish(_ out: inout Tensor) {
        let c = out.shape[1], plane = out.shape[2] * out.shape[3]
        let b = bias?.storage ?? [Float](repeating: 0, count: c)
        let relu = self.relu
        out.storage.withUnsafeMutableBufferPointer { d in
            for ch in 0..<c {
                let p = d.baseAddress! + ch * plane, bc = b[ch]
                for i in 0..<plane {
                    let v = p[i] + bc
                    p[i] = relu ? max(v, 0) : v
                }
            }
        }
    }
}
