import ArgusMask

/// One detected object in original-image pixels: the result every model produces and every encoder reads.
public struct Detection: Sendable, Equatable {
    public var box: Box
    public var score: Float
    /// Index into the model's class list (0-based, the model's own numbering).
    public var classId: Int
    public var label: String
    /// The instance mask in original-image pixels (instance segmentation models only).
    public var mask: RLE?

    public init(box: Box, score: Float, classId: Int, label: String, mask: RLE? = nil) {
        self.box = box; self.score = score; self.classId = classId; self.label = label; self.mask = mask
    }
}
