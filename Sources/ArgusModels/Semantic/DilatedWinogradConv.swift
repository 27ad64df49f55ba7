import ArgusTensor

/// A dilated 3x3 stride-1 convolution with padding = dilation d (the dilated ResNet-50's layer3/layer4 convs) as
/// Winograd F(2x2, 3x3) on the input's d x d polyphase components: output[a + d m, b + d n] only reads
/// input[a + d (m + i - 1), b + d (n + j - 1)], an undilated 3x3 conv (padding 1) of x[a::d, b::d]. The
/// components are zero-padded to one size and run as one batch; rows and columns past a component's end
/// stand for positions outside the image, which are zero padding anyway. Same result as conv2d up to
/// Winograd's float rounding (as ConvNormActivation's undilated Winograd path).
struct DilatedWinogradConv {
    let weights: WinogradWeights
    let bias: Tensor?
    let dilation: Int
    let activation: Activation?

    /// nil unless `conv` is such a conv and wide enough for Winograd to pay (as ConvNormActivation decides).
    init?(_ conv: ConvNormActivation) {
        let s = conv.weight.shape
        guard s[2] == 3, s[3] == 3, conv.stride == 1, conv.groups == 1, conv.dilation > 1, conv.padding == conv.dilation,
              s[0] >= 64, s[1] >= 64, let w = try? WinogradWeights(conv.weight) else { return nil }
        weights = w; bias = conv.bias; dilation = conv.dilation; activation = conv.activation
    }

    /// nil when the components are too small for Winograd (the caller runs the direct conv).
    func callAsFunction(_ x: Tensor) throws -> Tensor? {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let d = dilation
        let hc = (h + d - 1) / d, wc = (w + d - 1) / d
        guard n == 1, hc * wc >= 256 else { return nil }
        var batch = Tensor(zeros: [d * d, c, hc, wc])
        x.storage.withUnsafeBufferPointer { src in
            batch.storage.withUnsafeMutableBufferPointer { dst in
                for a in 0..<d {
                    for b in 0..<d where a < h && b < w {
                        let rows = (h - a + d - 1) / d, cols = (w - b + d - 1) / d
                        for ch in 0..<c {
                            let s = src.baseAddress! + ch * h * w + a * w + b
                            let o = dst.baseAddress! + ((a * d + b) * c + ch) * hc * wc
                            for m in 0..<rows {
                                let sr = s + m * d * w, orow = o + m * wc
                                for k in 0..<cols { orow[k] = sr[k * d] }
                            }
                        }
                    }
                }
            }
        }
        let y = try winogradConv3x3(batch, weights: weights, bias: bias, padding: 1, activation: activation)
        let cout = y.shape[1]
        var out = Tensor(zeros: [1, cout, h, w])
        y.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for a in 0..<min(d, h) {
                    for b in 0..<min(d, w) {
                        let rows = (h - a + d - 1) / d, cols = (w - b + d - 1) / d
                        for ch in 0..<cout {
                            let s = src.baseAddress! + ((a * d + b) * cout + ch) * hc * wc
                            let o = dst.baseAddress! + ch * h * w + a * w + b
                            for m in 0..<rows {
                                let sr = s + m * wc, orow = o + m * d * w
                                for k in 0..<cols { orow[k * d] = sr[k] }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
