import ArgusMask
import Foundation

// Readers for COCO ground truth, COCO results and evaluation params, built on JSONScanner.
// Structural problems (wrong types, a bbox of 3 numbers, a malformed RLE) are reported with
// the item's position; semantic checks (unknown ids, ...) are EvalValidator's job.

extension COCODataset {
    /// Parses a COCO ground-truth JSON document (`images`, `categories`, `annotations`; other members are ignored).
    public init(json data: Data) throws {
        self = try withScanner(data) { s in
            let d = try COCODataset(scanner: &s)
            try s.expectEnd()
            return d
        }
    }

    init(scanner s: inout JSONScanner) throws {
        var images = [COCOImage](), categories = [COCOCategory](), annotations = [COCOAnnotation]()
        try s.forEachMember { s, key in
            switch key {
            case "images":
                try s.forEachElement { s in
                    var img = COCOImage(id: 0, width: 0, height: 0)
                    var hasId = false
                    try s.forEachMember { s, k in
                        switch k {
                        case "id": img.id = try s.readInt(); hasId = true
                        case "width": img.width = try s.readInt()
                        case "height": img.height = try s.readInt()
                        case "file_name":
                            if s.peek() == UInt8(ascii: "\"") { img.fileName = try s.readString() } else { try s.skipValue() }
                        default: try s.skipValue()
                        }
                    }
                    guard hasId else { throw EvalError.invalid([EvalIssue(code: "missing_field", message: "gt.images[\(images.count)] has no \"id\"")]) }
                    images.append(img)
                }
            case "categories":
                try s.forEachElement { s in
                    var cat = COCOCategory(id: 0, name: "")
                    var hasId = false
                    try s.forEachMember { s, k in
                        switch k {
                        case "id": cat.id = try s.readInt(); hasId = true
                        case "name": cat.name = try s.readString()
                        default: try s.skipValue()
                        }
                    }
                    guard hasId else { throw EvalError.invalid([EvalIssue(code: "missing_field", message: "gt.categories[\(categories.count)] has no \"id\"")]) }
                    categories.append(cat)
                }
            case "annotations":
                try s.forEachElement { s in
                    annotations.append(try COCOAnnotation(scanner: &s, index: annotations.count))
                }
            default: try s.skipValue()
            }
        }
        self.init(images: images, categories: categories, annotations: annotations)
    }
}

extension COCOAnnotation {
    init(scanner s: inout JSONScanner, index: Int) throws {
        var id: Int?, imageId: Int?, categoryId: Int?
        var bbox: BoxXYWH?, area: Double?, iscrowd = false
        var seg: COCOSegmentation?
        let whereStr = "gt.annotations[\(index)]"
        try s.forEachMember { s, k in
            switch k {
            case "id": id = try s.readInt()
            case "image_id": imageId = try s.readInt()
            case "category_id": categoryId = try s.readInt()
            case "bbox": bbox = try readBox(&s, whereStr)
            case "area": area = try s.consumeNull() ? nil : s.readDouble()
            case "iscrowd":
                let c = s.peek()
                iscrowd = (c == UInt8(ascii: "t") || c == UInt8(ascii: "f")) ? try s.readBool() : try s.readInt() != 0
            case "segmentation": seg = try readSegmentation(&s, whereStr)
            default: try s.skipValue()
            }
        }
        guard let id, let imageId, let categoryId else {
            throw EvalError.invalid([EvalIssue(code: "missing_field", message: "\(whereStr) needs \"id\", \"image_id\" and \"category_id\"")])
        }
        self.init(id: id, imageId: imageId, categoryId: categoryId, bbox: bbox, area: area, iscrowd: iscrowd, segmentation: seg)
    }
}

/// Reads `[x, y, w, h]`, or nil for `null` / `[]`.
func readBox(_ s: inout JSONScanner, _ whereStr: String) throws -> BoxXYWH? {
    if try s.consumeNull() { return nil }
    let v = try s.readDoubleArray()
    if v.isEmpty { return nil }
    guard v.count == 4 else {
        throw EvalError.invalid([EvalIssue(code: "malformed_bbox", message: "\(whereStr).bbox has \(v.count) numbers; a COCO box is [x, y, width, height]")])
    }
    return BoxXYWH(x: v[0], y: v[1], width: v[2], height: v[3])
}

/// Reads a polygon list, or an RLE object with string (compressed) or integer (uncompressed) counts.
func readSegmentation(_ s: inout JSONScanner, _ whereStr: String) throws -> COCOSegmentation? {
    switch s.peek() {
    case UInt8(ascii: "n"): try s.literal("null"); return nil
    case UInt8(ascii: "["):
        var polys = [[Double]]()
        try s.forEachElement { s in polys.append(try s.readDoubleArray()) }
        if polys.isEmpty { return nil }
        return .polygons(polys)
    case UInt8(ascii: "{"):
        var size: [Int]?
        var compressed: Range<Int>?, escaped = false
        var runs: [Int]?
        try s.forEachMember { s, k in
            switch k {
            case "size":
                var v = [Int]()
                try s.forEachElement { s in v.append(try s.readInt()) }
                size = v
            case "counts":
                if s.peek() == UInt8(ascii: "\"") {
                    (compressed, escaped) = try s.readStringRaw()
                } else {
                    var v = [Int]()
                    try s.forEachElement { s in v.append(try s.readInt()) }
                    runs = v
                }
            default: try s.skipValue()
            }
        }
        guard let size, size.count == 2 else {
            throw EvalError.invalid([EvalIssue(code: "malformed_rle", message: "\(whereStr).segmentation needs \"size\": [height, width]")])
        }
        do {
            if let r = compressed {
                if escaped {
                    // Escapes only occur for '\\' in counts; decode them the slow way.
                    var sub = JSONScanner(s.bytes)
                    sub.pos = r.lowerBound - 1
                    let str = try sub.readString()
                    return .rle(try RLE(compressed: str, height: size[0], width: size[1]))
                }
                return .rle(try RLE(compressedBytes: UnsafeBufferPointer(rebasing: s.bytes[r]), height: size[0], width: size[1]))
            }
            if let runs { return .rle(try RLE(validatingHeight: size[0], width: size[1], counts: runs)) }
        } catch let e as MaskError {
            throw EvalError.invalid([EvalIssue(code: "malformed_rle", message: "\(whereStr).segmentation: \(e)")])
        }
        throw EvalError.invalid([EvalIssue(code: "malformed_rle", message: "\(whereStr).segmentation needs \"counts\"")])
    default:
        throw s.error("\(whereStr).segmentation must be a polygon list or an RLE object")
    }
}

extension COCOResult {
    /// Parses a COCO results array `[{"image_id", "category_id", "score", "bbox"?, "segmentation"?}, ...]`.
    public static func parseList(json data: Data) throws -> [COCOResult] {
        try withScanner(data) { s in
            let r = try parseList(scanner: &s)
            try s.expectEnd()
            return r
        }
    }

    static func parseList(scanner s: inout JSONScanner) throws -> [COCOResult] {
        var out = [COCOResult]()
        try s.forEachElement { s in
            let whereStr = "results[\(out.count)]"
            var imageId: Int?, categoryId: Int?, score: Double?
            var bbox: BoxXYWH?, seg: COCOSegmentation?
            try s.forEachMember { s, k in
                switch k {
                case "image_id": imageId = try s.readInt()
                case "category_id": categoryId = try s.readInt()
                case "score": score = try s.readDouble()
                case "bbox": bbox = try readBox(&s, whereStr)
                case "segmentation": seg = try readSegmentation(&s, whereStr)
                default: try s.skipValue()
                }
            }
            guard let imageId, let categoryId, let score else {
                throw EvalError.invalid([EvalIssue(code: "missing_field", message: "\(whereStr) needs \"image_id\", \"category_id\" and \"score\"")])
            }
            out.append(COCOResult(imageId: imageId, categoryId: categoryId, score: score, bbox: bbox, segmentation: seg))
        }
        return out
    }
}

extension EvalParams {
    /// Parses pycocotools-style params (`iouThrs`, `recThrs`, `maxDets`, `areaRng`, `areaRngLbl`, `useCats`, `imgIds`, `catIds`); absent members keep their defaults.
    public init(json data: Data) throws {
        self = try withScanner(data) { s in
            let p = try EvalParams(scanner: &s)
            try s.expectEnd()
            return p
        }
    }

    init(scanner s: inout JSONScanner) throws {
        var p = EvalParams()
        var ranges: [[Double]]?
        var labels: [String]?
        try s.forEachMember { s, k in
            switch k {
            case "iouThrs": p.iouThresholds = try s.readDoubleArray()
            case "recThrs": p.recallThresholds = try s.readDoubleArray()
            case "maxDets":
                var v = [Int]()
                try s.forEachElement { s in v.append(try s.readInt()) }
                p.maxDetections = v
            case "areaRng":
                var v = [[Double]]()
                try s.forEachElement { s in v.append(try s.readDoubleArray()) }
                ranges = v
            case "areaRngLbl":
                var v = [String]()
                try s.forEachElement { s in v.append(try s.readString()) }
                labels = v
            case "useCats":
                let c = s.peek()
                p.useCategories = (c == UInt8(ascii: "t") || c == UInt8(ascii: "f")) ? try s.readBool() : try s.readInt() != 0
            case "imgIds":
                var v = [Int]()
                try s.forEachElement { s in v.append(try s.readInt()) }
                p.imageIds = v
            case "catIds":
                var v = [Int]()
                try s.forEachElement { s in v.append(try s.readInt()) }
                p.categoryIds = v
            default: try s.skipValue()
            }
        }
        if let ranges {
            let defaults = EvalParams.defaultAreaRanges.map(\.label)
            p.areaRanges = try ranges.enumerated().map { i, r in
                guard r.count == 2 else {
                    throw EvalError.invalid([EvalIssue(code: "bad_params", message: "params.areaRng[\(i)] must be [lo, hi]")])
                }
                let label = labels.flatMap { i < $0.count ? $0[i] : nil } ?? (i < defaults.count ? defaults[i] : "area\(i)")
                return AreaRange(label, r[0], r[1])
            }
        } else if let labels {
            for i in 0..<min(labels.count, p.areaRanges.count) { p.areaRanges[i].label = labels[i] }
        }
        self = p
    }
}
