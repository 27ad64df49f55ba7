import ArgusDetection

/// Writes one detection in the response format the request asked for.
enum DetectionJSON {
    static func encode(_ d: Detection, imageIndex: Int, width: Int, height: Int,
                       parameters: DetectParameters, classNames: [String]) -> JSONValue {
        let b = d.box
        switch parameters.format {
        case .coco:
            return .object([
                ("image_id", .number(Double(imageIndex))),
                ("category_id", .number(Double(cocoCategoryId(classId: d.classId, classNames: classNames)))),
                ("bbox", .array([.float(b.x1), .float(b.y1), .float(b.x2 - b.x1), .float(b.y2 - b.y1)])),
                ("score", .float(d.score)),
            ])
        case .argus:
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
}

/// The COCO category id of a model's class: COCO's 1...90 numbering for models with the 80 COCO classes,
/// else the class id itself.
public func cocoCategoryId(classId: Int, classNames: [String]) -> Int {
    if COCOCategories.isCOCO80(classNames), COCOCategories.ids80.indices.contains(classId) { return COCOCategories.ids80[classId] }
    return classId
}
