import ArgusDetection
import ArgusJSON

/// Writes detections in the format a request asked for (`format`, `box_format`, `normalized`).
public enum DetectionJSON {
    public static func encode(_ d: Detection, imageIndex: Int, width: Int, height: Int,
                              parameters: DetectParameters, classNames: [String]) -> JSONValue {
        switch parameters.format {
        case .coco:
            var r = COCOResultJSON.result(d, imageId: imageIndex,
                                          categoryId: COCOResultJSON.categoryId(classId: d.classId, classNames: classNames))
            r.segmentation = nil
            return COCOResultJSON.entry(r)
        case .argus:
            let b = d.box
            var values: [Float]
            switch parameters.boxFormat {
            case .xyxy: values = [b.x1, b.y1, b.x2, b.y2]
            case .xywh: values = [b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1]
            case .cxcywh: values = [(b.x1 + b.x2) / 2, (b.y1 + b.y2) / 2, b.x2 - b.x1, b.y2 - b.y1]
            }
            if parameters.normalized {
                let w = Float(width), h = Float(height)
                values = [values[0] / w, values[1] / h, values[2] / w, values[3] / h]
            }
            return .object([
                ("box", .array(values.map { .float($0) })),
                ("score", .float(d.score)),
                ("class_id", .number(Double(d.classId))),
                ("label", .string(d.label)),
            ])
        }
    }

    /// One image in the Argus format: `{"file"?, "width", "height", "detections": [...]}`.
    public static func image(_ detections: [Detection], file: String?, width: Int, height: Int,
                             parameters: DetectParameters = DetectParameters(), classNames: [String]) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let file { members.append(("file", .string(file))) }
        members += [("width", .number(Double(width))), ("height", .number(Double(height))),
                    ("detections", .array(detections.map {
                        encode($0, imageIndex: 0, width: width, height: height, parameters: parameters, classNames: classNames)
                    }))]
        return .object(members)
    }
}
