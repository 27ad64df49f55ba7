/// A convolution as a model holds it: the weights packed at load (`ConvWeights`), the same weights for Winograd
/// F(2x2, 3x3) when it is a wide 3x3 stride-1 conv, its bias, geometry and the activation fused into its output.
///
/// Winograd (64 or more channels in and out, on planes of 49+ positions) does 2.25x fewer multiplications and
/// rounds differently from direct convolution by ulp-scale relative errors, inside the reference comparisons'
/// margins; on smaller planes (5x5) the tile padding and transforms cost what they save.
public struct ConvLayer: Sendable {
    public let weights: ConvWeights
    public let bias: Tensor?
    public let stride: Int, padding: Int, dilation: Int
    public let activation: Activation?
    public let winograd: WinogradWeights?

    /// weight: [Cout, Cin / groups, kH, kW] (square kernels).
    public init(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int, dilation: Int = 1, groups: Int = 1,
                activation: Activation?) throws {
        weights = try ConvWeights(weight, groups: groups, dilation: dilation)
        self.bias = bias
        self.stride = stride; self.padding = padding; self.dilation = dilation
        self.activation = activation
        let s = weight.shape
        let wide = s[2] == 3 && s[3] == 3 && stride == 1 && dilation == 1 && groups == 1 && s[0] >= 64 && s[1] >= 64
        winograd = wide ? try WinogradWeights(weight) : nil
    }

    public var weight: Tensor { weights.weight }
    public var groups: Int { weights.groups }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        if let winograd, x.rank == 4, x.shape[2] * x.shape[3] >= 49 {
            return try winogradConv3x3(x, weights: winograd, bias: bias, padding: padding, activation: activation)
        }
        return try conv2d(x, weights: weights, bias: bias, stride: stride, padding: padding, dilation: dilation,
                          activation: activation)
    }

    /// This (1x1) conv of the channel concatenation of `inputs`, without making the concatenation.
    public func callAsFunction(concatenated inputs: [Tensor]) throws -> Tensor {
        try conv2d(concatenated: inputs, weights: weights, bias: bias, activation: activation)
    }
}
