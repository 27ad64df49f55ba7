import ArgusMask

/// The category ids panoptic output is written with, one id space for things and stuff so that a COCO panoptic ground
/// truth scores it unchanged: a thing keeps its detection's COCO category id; a stuff segment's semantic class is
/// matched by name to the instance model's classes (torchvision's semantic weights are COCO images with the 20 VOC
/// classes, all of them COCO categories: VOC's "aeroplane" is COCO's "airplane", and so on) and takes that class's
/// COCO category id. A semantic class with no such match gets `unmatchedBase + its index`, outside COCO's ids.
public enum PanopticCategories {
    /// VOC's names for the COCO categories they are.
    static let vocToCOCO = ["aeroplane": "airplane", "diningtable": "dining table", "motorbike": "motorcycle",
                            "pottedplant": "potted plant", "sofa": "couch", "tvmonitor": "tv"]
    public static let unmatchedBase = 1000

    /// The id of a segment; `thingNames` are the instance model's classes, `stuffNames` the semantic model's.
    public static func categoryId(_ segment: PanopticSegment, thingNames: [String], stuffNames: [String]) -> Int {
        guard !segment.isThing else { return segment.categoryId }
        let index = segment.categoryId
        guard stuffNames.indices.contains(index) else { return unmatchedBase + index }
        let name = stuffNames[index].lowercased()
        let wanted = vocToCOCO[name] ?? name
        // torchvision's placeholders name no category.
        guard !["__background__", "n/a"].contains(wanted),
              let c = thingNames.firstIndex(where: { $0.lowercased() == wanted }) else { return unmatchedBase + index }
        return COCOResultJSON.categoryId(classId: c, classNames: thingNames)
    }

    /// The segment's name: the thing's class or the semantic class.
    public static func label(_ segment: PanopticSegment, thingNames: [String], stuffNames: [String]) -> String {
        if segment.isThing { return SegmentationJSON.thingLabel(segment.categoryId, classNames: thingNames) }
        return stuffNames.indices.contains(segment.categoryId) ? stuffNames[segment.categoryId] : String(segment.categoryId)
    }
}
