import ArgusImage

/// An interleaved 8-bit image with any number of channels, held in the channel order OpenCV would hold it
/// (`cv2.imread` gives BGR; `cvtColor(..., COLOR_BGR2HSV)` gives H, S, V).
///
/// The order matters for exactness, not only for meaning: the graph segmentation sums squared channel
/// differences in float, channel 0 first, so the same pixels in another order can round differently.
public struct ChannelImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let channels: Int
    /// Row-major, `channels` bytes per pixel, no padding.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && channels > 0, "ChannelImage needs a positive size and channel count")
        precondition(pixels.count == width * height * channels,
                     "ChannelImage \(width)x\(height)x\(channels) needs \(width * height * channels) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// The BGR image OpenCV would have read for this decoded image (`cv2.imread` order).
    public init(bgr image: RGBImage) {
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var i = 0
                while i < src.count {
                    dst[i] = src[i + 2]; dst[i + 1] = src[i + 1]; dst[i + 2] = src[i]
                    i += 3
                }
            }
        }
        self.init(width: image.width, height: image.height, channels: 3, pixels: out)
    }
}

/// A segmentation: one label per pixel, row-major, numbered 0..<count.
public struct LabelMap: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var labels: [Int32]
    /// The number of segments (labels are 0..<count, each used).
    public let count: Int

    public init(width: Int, height: Int, labels: [Int32], count: Int) {
        precondition(labels.count == width * height, "LabelMap needs one label per pixel")
        self.width = width
        self.height = height
        self.labels = labels
        self.count = count
    }

    public subscript(x: Int, y: Int) -> Int32 { labels[y * width + x] }

    /// Pixels per segment, indexed by label.
    public func sizes() -> [Int] {
        var sizes = [Int](repeating: 0, count: count)
        for label in labels { sizes[Int(label)] += 1 }
        return sizes
    }
}
