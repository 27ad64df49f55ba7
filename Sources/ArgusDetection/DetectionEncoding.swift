/// Turns detections into the response formats users consume.
public enum DetectionEncoding {
    /// One image's detections in the Argus format:
    /// `{"file", "width", "height", "detections": [{"box": [x1,y1,x2,y2], "score", "class_id", "label"}]}`.
    public static func argusImage(_ detections: [Detection], file: String?, width: Int, height: Int,
                                  into w: inout JSONWriter) {
        w.raw("{")
        if let file { w.string("file"); w.raw(": "); w.string(file); w.raw(", ") }
        w.raw("\"width\": "); w.number(width)
        w.raw(", \"height\": "); w.number(height)
        w.raw(", \"detections\": [")
        for (i, d) in detections.enumerated() {
            if i > 0 { w.raw(", ") }
            argusDetection(d, into: &w)
        }
        w.raw("]}")
    }

    /// `{"box": [x1, y1, x2, y2], "score": s, "class_id": c, "label": "name"}`
    public static func argusDetection(_ d: Detection, into w: inout JSONWriter) {
        w.raw("{\"box\": [")
        w.number(d.box.x1); w.raw(", "); w.number(d.box.y1); w.raw(", ")
        w.number(d.box.x2); w.raw(", "); w.number(d.box.y2)
        w.raw("], \"score\": "); w.number(d.score)
        w.raw(", \"class_id\": "); w.number(d.classId)
        w.raw(", \"label\": "); w.string(d.label)
        w.raw("}")
    }

    /// The COCO results entry `{"image_id", "category_id", "bbox": [x, y, w, h], "score"}`, plus
    /// `"segmentation": {"size": [h, w], "counts": "..."}` (pycocotools' compressed RLE) when the detection has a mask.
    /// `categoryIds` maps the model's class index to the dataset's category id (nil: the index itself).
    public static func cocoResult(_ d: Detection, imageId: Int, categoryIds: [Int]?, into w: inout JSONWriter) {
        let category = categoryIds.map { $0[d.classId] } ?? d.classId
        w.raw("{\"image_id\": "); w.number(imageId)
        w.raw(", \"category_id\": "); w.number(category)
        w.raw(", \"bbox\": [")
        w.number(d.box.x1); w.raw(", "); w.number(d.box.y1); w.raw(", ")
        w.number(d.box.x2 - d.box.x1); w.raw(", "); w.number(d.box.y2 - d.box.y1)
        w.raw("], \"score\": "); w.number(d.score)
        if let mask = d.mask {
            w.raw(", \"segmentation\": {\"size\": ["); w.number(mask.height); w.raw(", "); w.number(mask.width)
            w.raw("], \"counts\": "); w.string(mask.compressedCounts); w.raw("}")
        }
        w.raw("}")
    }

    /// The COCO image id of a file: its name's numeric stem (`000000000139.jpg` -> 139), else nil.
    public static func cocoImageId(fileName: String) -> Int? {
        let base = fileName.split(separator: "/").last.map(String.init) ?? fileName
        let stem = base.split(separator: ".").first.map(String.init) ?? base
        return Int(stem)
    }
}
