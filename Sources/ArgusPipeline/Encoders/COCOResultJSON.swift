import ArgusDetection
import ArgusEval
import ArgusJSON
import ArgusMask

/// The one writer of COCO results (`loadRes` input): `argus detect/segment --format coco`, `format=coco` on /detect
/// and /segment, and `--save-results`. Values that started as Float32 are printed as their shortest Float
/// decimal, which reads back as the same Float32.
public enum COCOResultJSON {
    /// `{"image_id", "category_id", "bbox": [x, y, w, h], "score", "segmentation": {"size", "counts"}}`; `bbox` only
    /// when the result has one; `segmentation` when it has a mask, or as null when `nullSegmentation` asks for the key.
    public static func entry(_ r: COCOResult, nullSegmentation: Bool = false) -> JSONValue {
        var members: [(String, JSONValue)] = [("image_id", .number(Double(r.imageId))), ("category_id", .number(Double(r.categoryId)))]
        if let b = r.bbox {
            members.append(("bbox", .array([b.x, b.y, b.width, b.height].map { .float(Float($0)) })))
        }
        members.append(("score", .float(Float(r.score))))
        if case .rle(let mask)? = r.segmentation {
            members.append(("segmentation", rle(mask)))
        } else if nullSegmentation {
            members.append(("segmentation", .null))
        }
        return .object(members)
    }

    /// One detection as a result of image `imageId`, its class mapped to `categoryId`.
    public static func result(_ d: Detection, imageId: Int, categoryId: Int) -> COCOResult {
        let b = d.box
        return COCOResult(imageId: imageId, categoryId: categoryId, score: Double(d.score),
                          bbox: BoxXYWH(x: Double(b.x1), y: Double(b.y1), width: Double(b.x2 - b.x1), height: Double(b.y2 - b.y1)),
                          segmentation: d.mask.map { .rle($0) })
    }

    /// COCO compressed RLE, as pycocotools writes it: `{"size": [height, width], "counts": "..."}`.
    public static func rle(_ mask: RLE) -> JSONValue {
        .object([("size", .array([.number(Double(mask.height)), .number(Double(mask.width))])),
                 ("counts", .string(mask.compressedCounts))])
    }

    /// The COCO image id of a file: its name's numeric stem (`000000000139.jpg` -> 139), else nil.
    public static func imageId(fileName: String) -> Int? {
        let base = fileName.split(separator: "/").last.map(String.init) ?? fileName
        let stem = base.split(separator: ".").first.map(String.init) ?? base
        return Int(stem)
    }

    /// The COCO category id of a model's class: COCO's 1...90 numbering for models with the 80 COCO classes,
    /// else the class id itself.
    public static func categoryId(classId: Int, classNames: [String]) -> Int {
        if COCOCategories.isCOCO80(classNames), COCOCategories.ids80.indices.contains(classId) { return COCOCategories.ids80[classId] }
        return classId
    }
}
