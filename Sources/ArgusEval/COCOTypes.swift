import ArgusMask

/// An image of a COCO dataset.
public struct COCOImage: Equatable, Sendable {
    public var id: Int
    public var width: Int
    public var height: Int
    /// `file_name` when it is a string (pycocotools keeps it; evaluation with a model matches files by it).
    public var fileName: String?
    public init(id: Int, width: Int, height: Int, fileName: String? = nil) {
        self.id = id; self.width = width; self.height = height; self.fileName = fileName
    }
}

/// A category of a COCO dataset.
public struct COCOCategory: Equatable, Sendable {
    public var id: Int
    public var name: String
    public init(id: Int, name: String) { self.id = id; self.name = name }
}

/// An object's region as COCO stores it.
public enum COCOSegmentation: Equatable, Sendable {
    /// One or more polygons `[x0, y0, x1, y1, ...]`, rasterised at the image's size.
    case polygons([[Double]])
    /// A run-length encoded mask (compressed or uncompressed in JSON; runs either way).
    case rle(RLE)
}

/// A ground-truth annotation.
public struct COCOAnnotation: Equatable, Sendable {
    public var id: Int
    public var imageId: Int
    public var categoryId: Int
    public var bbox: BoxXYWH?
    /// The `area` field; pycocotools uses it as given for the area ranges.
    public var area: Double?
    public var iscrowd: Bool
    public var segmentation: COCOSegmentation?

    public init(id: Int, imageId: Int, categoryId: Int, bbox: BoxXYWH?, area: Double?, iscrowd: Bool = false,
                segmentation: COCOSegmentation? = nil) {
        self.id = id; self.imageId = imageId; self.categoryId = categoryId; self.bbox = bbox
        self.area = area; self.iscrowd = iscrowd; self.segmentation = segmentation
    }
}

/// A COCO ground-truth dataset (`instances_*.json`).
public struct COCODataset: Equatable, Sendable {
    public var images: [COCOImage]
    public var categories: [COCOCategory]
    public var annotations: [COCOAnnotation]
    public init(images: [COCOImage], categories: [COCOCategory], annotations: [COCOAnnotation]) {
        self.images = images; self.categories = categories; self.annotations = annotations
    }
}

/// One detection in the COCO results format. Its id is its 1-based position in the results list.
public struct COCOResult: Equatable, Sendable {
    public var imageId: Int
    public var categoryId: Int
    public var score: Double
    public var bbox: BoxXYWH?
    /// The mask; results files normally carry compressed RLE.
    public var segmentation: COCOSegmentation?

    public init(imageId: Int, categoryId: Int, score: Double, bbox: BoxXYWH? = nil, segmentation: COCOSegmentation? = nil) {
        self.imageId = imageId; self.categoryId = categoryId; self.score = score
        self.bbox = bbox; self.segmentation = segmentation
    }
}

/// What regions are compared: boxes or masks.
public enum IoUType: String, Sendable, CaseIterable {
    case bbox, segm
}
