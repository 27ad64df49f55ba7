import ArgusDetection

extension Box {
    /// torchvision's clip_boxes_to_image: clamp x to [0, width] and y to [0, height].
    func clampedTo(height: Int, width: Int) -> Box {
        let w = Float(width), h = Float(height)
        return Box(x1: min(max(x1, 0), w), y1: min(max(y1, 0), h), x2: min(max(x2, 0), w), y2: min(max(y2, 0), h))
    }

    /// torchvision's remove_small_boxes test: both sides at least `minSize`.
    func isAtLeast(_ minSize: Float) -> Bool { (x2 - x1) >= minSize && (y2 - y1) >= minSize }
}
