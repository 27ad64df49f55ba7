/// The sizes of one conv2d call, validated once; the kernels index with these.
struct ConvGeometry {
    let batch, inChannels, inH, inW: Int
    let outChannels, kH, kW: Int
    let strideH, strideW, padH, padW, dilationH, dilationW, groups: Int
    let outH, outW: Int

    var inPlane: Int { inH * inW }
    var outPlane: Int { outH * outW }
    var inChannelsPerGroup: Int { inChannels / groups }
    var outChannelsPerGroup: Int { outChannels / groups }
    /// Rows of the im2col matrix (and columns of a group's weight matrix).
    var patchSize: Int { inChannelsPerGroup * kH * kW }

    init(input: [Int], weight: [Int], bias: [Int]?, stride: (Int, Int), padding: (Int, Int),
         dilation: (Int, Int), groups: Int) throws {
        let op = "conv2d"
        guard input.count == 4, input.allSatisfy({ $0 >= 1 }) else {
            throw TensorError.invalidShape(op: op, message: "input must be a non-empty NCHW tensor, got \(input)")
        }
        guard weight.count == 4, weight.allSatisfy({ $0 >= 1 }) else {
            throw TensorError.invalidShape(op: op, message: "weight must be [Cout, Cin/groups, kh, kw], got \(weight)")
        }
        guard stride.0 >= 1, stride.1 >= 1, dilation.0 >= 1, dilation.1 >= 1, padding.0 >= 0, padding.1 >= 0 else {
            throw TensorError.invalidArgument(op: op, message:
                "stride \(stride) and dilation \(dilation) must be >= 1, padding \(padding) >= 0")
        }
        guard groups >= 1, input[1] % groups == 0, weight[0] % groups == 0 else {
            throw TensorError.invalidArgument(op: op, message:
                "groups \(groups) must divide input channels \(input[1]) and output channels \(weight[0])")
        }
        guard weight[1] * groups == input[1], weight[0] >= 1, weight[2] >= 1, weight[3] >= 1 else {
            throw TensorError.invalidShape(op: op, message:
                "weight \(weight) with groups \(groups) does not fit input \(input)")
        }
        if let bias, bias != [weight[0]] {
            throw TensorError.invalidShape(op: op, message: "bias must be [\(weight[0])], got \(bias)")
        }
        batch = input[0]; inChannels = input[1]; inH = input[2]; inW = input[3]
        outChannels = weight[0]; kH = weight[2]; kW = weight[3]
        (strideH, strideW) = stride
        (padH, padW) = padding
        (dilationH, dilationW) = dilation
        self.groups = groups
        outH = (inH + 2 * padH - dilationH * (kH - 1) - 1) / strideH + 1
        outW = (inW + 2 * padW - dilationW * (kW - 1) - 1) / strideW + 1
        let spanH = inH + 2 * padH - dilationH * (kH - 1), spanW = inW + 2 * padW - dilationW * (kW - 1)
        guard spanH >= 1, spanW >= 1, batch >= 1 else {
            throw TensorError.invalidShape(op: op, message:
                "input \(input) is smaller than the dilated kernel \(kH)x\(kW) with padding \(padding)")
        }
    }

    /// For a kernel column offset `offset` (= j * dilation - pad), the output columns [lo, hi)
    /// whose input column `ow * stride + offset` lies inside [0, inW). Same rule for rows.
    @inline(__always)
    static func validRange(offset: Int, stride: Int, inSize: Int, outSize: Int) -> (lo: Int, hi: Int) {
        let lo = offset >= 0 ? 0 : min(outSize, (-offset + stride - 1) / stride)
        let last = inSize - 1 - offset
        let hi = last < 0 ? 0 : min(outSize, last / stride + 1)
        return (lo, max(lo, hi))
    }
}
