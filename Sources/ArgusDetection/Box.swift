/// An axis-aligned box in pixels, corners (x1, y1) top-left and (x2, y2) bottom-right.
///
/// Float32 like the reference implementations, so comparisons and NMS round the way torch does.
public struct Box: Sendable, Equatable, Hashable, Codable {
    public var x1: Float, y1: Float, x2: Float, y2: Float

    public init(x1: Float, y1: Float, x2: Float, y2: Float) {
        self.x1 = x1; self.y1 = y1; self.x2 = x2; self.y2 = y2
    }

    /// From centre, width and height (YOLO's xywh), computed as YOLOv5's `xywh2xyxy`.
    public init(cx: Float, cy: Float, w: Float, h: Float) {
        self.init(x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2)
    }

    public var width: Float { x2 - x1 }
    public var height: Float { y2 - y1 }
    /// Area without the legacy "+1": torchvision's `box_area`.
    public var area: Float { (x2 - x1) * (y2 - y1) }

    /// The box clamped to [0, width] x [0, height].
    public func clipped(width: Float, height: Float) -> Box {
        Box(x1: min(max(x1, 0), width), y1: min(max(y1, 0), height),
            x2: min(max(x2, 0), width), y2: min(max(y2, 0), height))
    }

    public func offset(dx: Float, dy: Float) -> Box {
        Box(x1: x1 + dx, y1: y1 + dy, x2: x2 + dx, y2: y2 + dy)
    }
}

/// Intersection over union as torchvision's `box_iou` computes it (0 when the union is empty).
public func iou(_ a: Box, _ b: Box) -> Float {
    let w = max(0, min(a.x2, b.x2) - max(a.x1, b.x1))
    let h = max(0, min(a.y2, b.y2) - max(a.y1, b.y1))
    let inter = w * h
    let union = a.area + b.area - inter
    return union > 0 ? inter / union : 0
}
