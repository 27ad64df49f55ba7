import ArgusDetection
import ArgusImage

/// Draws detections onto an image for `render=png|jpeg`: a box per detection and a `label score` tag.
public enum DetectionRenderer {
    /// Draws lowest score first so the strongest detections end up on top. Returns how many were drawn.
    @discardableResult
    public static func draw(_ detections: [Detection], on image: inout RGBImage) throws -> Int {
        let shortSide = min(image.width, image.height)
        // About 2 px lines and 14 px text on a 480-pixel-high frame, growing with the image.
        let thickness = max(2, shortSide / 320)
        let scale = max(1, Int((Double(shortSide) / 320).rounded()))
        let order = stableOrderDescending(detections.map(\.score)).reversed()
        for index in order {
            let d = detections[index]
            guard d.box.x1.isFinite, d.box.y1.isFinite, d.box.x2.isFinite, d.box.y2.isFinite else { continue }
            let x1 = clampPixel(d.box.x1, image.width), y1 = clampPixel(d.box.y1, image.height)
            let x2 = clampPixel(d.box.x2, image.width), y2 = clampPixel(d.box.y2, image.height)
            let color = RGBColor.forClass(d.classId)
            image.strokeRectangle(x1: x1, y1: y1, x2: x2, y2: y2, color: color, thickness: thickness)
            let text = "\(d.label) \(Int((d.score * 100).rounded()))%"
            let size = BitmapFont.size(of: text, scale: scale)
            let pad = scale
            // The tag sits above the box, or inside it when the box touches the top edge.
            let tagHeight = size.height + 2 * pad
            let tagY = y1 - tagHeight >= 0 ? y1 - tagHeight : y1
            image.fillRectangle(x1: x1, y1: tagY, x2: x1 + size.width + 2 * pad, y2: tagY + tagHeight, color: color)
            image.drawText(text, x: x1 + pad, y: tagY + pad, color: color.contrasting, scale: scale)
        }
        return detections.count
    }

    private static func clampPixel(_ v: Float, _ size: Int) -> Int {
        Int(min(max(v.rounded(), 0), Float(size - 1)))
    }
}
