/// A per-pixel class map (semantic segmentation output): `labels[y * width + x]` is a class index.
///
/// Row-major like an image, one byte per pixel: the semantic models here have at most 256 classes.
public struct LabelMap: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var labels: [UInt8]

    /// Wraps `labels` (row-major, `width * height` entries).
    public init(width: Int, height: Int, labels: [UInt8]) {
        precondition(labels.count == width * height, "label map of \(labels.count) for \(width)x\(height)")
        self.width = width; self.height = height; self.labels = labels
    }

    public subscript(x: Int, y: Int) -> UInt8 { labels[y * width + x] }
}
