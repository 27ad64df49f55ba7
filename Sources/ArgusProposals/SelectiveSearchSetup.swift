/// What OpenCV contrib's `SelectiveSearchSegmentation.switchToSelectiveSearchFast(base_k = 150, inc_k = 150,
/// sigma = 0.8f)` sets up before its hierarchical grouping: the images it segments (the base image converted to
/// HSV and to Lab, in that order) and the graph segmentations it runs on each (k = base_k, base_k + inc_k,
/// base_k + 2 inc_k; sigma as given; min_size left at createGraphSegmentation's default of 100).
///
/// Note the sigma: the method takes a `float`, so the 0.8 the segmentations receive is `Double(Float(0.8))`
/// (0.800000011920929), which gives (slightly) different Gaussian kernel values than the double 0.8.
public struct SelectiveSearchFastSetup: Sendable, Equatable {
    public let baseK: Int
    public let incK: Int
    public let sigma: Float

    public init(baseK: Int = 150, incK: Int = 150, sigma: Float = 0.8) {
        precondition(incK > 0, "inc_k must be positive (OpenCV's loop would not end)")
        self.baseK = baseK
        self.incK = incK
        self.sigma = sigma
    }

    /// The graph segmentations, in OpenCV's order.
    public var segmentations: [GraphSegmentation] {
        stride(from: baseK, through: baseK + incK * 2, by: incK).map {
            GraphSegmentation(sigma: Double(sigma), k: Float($0), minSize: 100)
        }
    }

    /// The images selective search segments for a BGR base image, in OpenCV's order: HSV, then Lab.
    public static func images(for bgr: ChannelImage) -> [ChannelImage] {
        [OpenCVColorConversion.bgrToHSV(bgr), OpenCVColorConversion.bgrToLab(bgr)]
    }

    /// Every initial segmentation selective search computes, image-major (HSV k1, k2, k3, then Lab k1, k2, k3), as
    /// its `process` loops.
    public func initialSegmentations(for bgr: ChannelImage) -> [LabelMap] {
        Self.images(for: bgr).flatMap { image in segmentations.map { $0.segment(image) } }
    }
}
