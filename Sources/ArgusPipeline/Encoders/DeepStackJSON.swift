import ArgusDetection
import ArgusJSON

/// The DeepStack / CodeProject.AI detection shape (Frigate, Blue Iris, Agent DVR, Double Take).
public enum DeepStackJSON {
    /// Integer pixel boxes (rounded, clamped to the image), sorted by confidence descending.
    public static func predictions(_ detections: [Detection], width: Int, height: Int) -> [JSONValue] {
        let order = stableOrderDescending(detections.map(\.score))
        func px(_ v: Float, _ limit: Int) -> JSONValue {
            let r = v.isFinite ? Int(v.rounded()) : 0
            return .number(Double(min(max(r, 0), limit)))
        }
        return order.map { i in
            let d = detections[i]
            return .object([
                ("label", .string(d.label)),
                ("confidence", .float(d.score)),
                ("x_min", px(d.box.x1, width)), ("y_min", px(d.box.y1, height)),
                ("x_max", px(d.box.x2, width)), ("y_max", px(d.box.y2, height)),
            ])
        }
    }
}
