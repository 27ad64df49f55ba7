import ArgusDetection
import ArgusEval
import ArgusImage
import ArgusJSON
import ArgusMask
import ArgusModels
import ArgusTensor
import Foundation

/// The JSON of one image's segmentation, shared by /segment and `argus segment`.
public enum SegmentationJSON {
    /// Every field of one image entry after `width`, `height` (and the server's `orientation_applied`).
    /// `imageId` is what COCO results carry as `image_id`.
    public static func fields(_ outcome: SegmentOutcome, plan: SegmentPlan, width: Int, height: Int, imageId: Int,
                              parameters: SegmentParameters) throws -> [(String, JSONValue)] {
        switch (outcome, plan) {
        case (.instance(let detections), .instance(let model, _)):
            return [("detections", .array(try detections.map {
                try instance($0, imageId: imageId, width: width, height: height, parameters: parameters, classNames: model.info.classNames)
            }))]
        case (.semantic(let output), .semantic(let model, _)):
            return try semantic(output, imageId: imageId, parameters: parameters, classNames: model.info.classNames)
        case (.panoptic(let result, _), .panoptic(let detector, _, let segmenter, _, _)):
            return try panoptic(result, parameters: parameters, thingNames: detector.info.classNames, stuffNames: segmenter.info.classNames)
        default:
            throw PipelineError.internalFailure("segmentation outcome does not match its plan")
        }
    }

    /// One detection: the /detect fields plus `area` and `mask` (argus), or `segmentation` RLE (coco).
    static func instance(_ d: Detection, imageId: Int, width: Int, height: Int, parameters: SegmentParameters,
                         classNames: [String]) throws -> JSONValue {
        switch parameters.detect.format {
        case .coco:
            let result = COCOResultJSON.result(d, imageId: imageId,
                                               categoryId: COCOResultJSON.categoryId(classId: d.classId, classNames: classNames))
            return COCOResultJSON.entry(result, nullSegmentation: true)
        case .argus:
            guard case .object(var members) = DetectionJSON.encode(d, imageIndex: imageId, width: width, height: height,
                                                                    parameters: parameters.detect, classNames: classNames) else {
                throw PipelineError.internalFailure("a detection did not encode as an object")
            }
            members.append(("area", d.mask.map { .number(Double($0.area)) } ?? .null))
            members.append(("mask", try d.mask.map { try MaskJSON.encode($0, format: parameters.instanceMaskFormat) } ?? .null))
            return .object(members)
        }
    }

    /// `label_map` (indexed PNG, VOC palette), `classes` present with pixel counts (and masks with mask_format),
    /// `scores` (with scores=true); with format=coco, `results`: one COCO entry per class present.
    static func semantic(_ output: SemanticOutput, imageId: Int, parameters: SegmentParameters,
                         classNames: [String]) throws -> [(String, JSONValue)] {
        let map = output.labels
        var counts = [Int](repeating: 0, count: 256)
        for label in map.labels { counts[Int(label)] += 1 }
        let present = (0..<256).filter { counts[$0] > 0 }
        func name(_ c: Int) -> String { classNames.indices.contains(c) ? classNames[c] : String(c) }
        if parameters.detect.format == .coco {
            return [("results", .array(present.map { c in
                COCOResultJSON.entry(COCOResult(imageId: imageId, categoryId: c, score: 1, segmentation: .rle(classMask(map, c))))
            }))]
        }
        let palette = SegmentationPalette.pascalVOC(count: max(classNames.count, (present.last ?? 0) + 1))
        var fields: [(String, JSONValue)] = [
            ("label_map", .string(Data(try encodeIndexedPNG(indices: map.labels, width: map.width, height: map.height,
                                                            palette: palette)).base64EncodedString())),
            ("classes", .array(try present.map { c in
                var entry: [(String, JSONValue)] = [("class_id", .number(Double(c))), ("label", .string(name(c))),
                                                    ("pixels", .number(Double(counts[c])))]
                if let format = parameters.maskFormat { entry.append(("mask", try MaskJSON.encode(classMask(map, c), format: format))) }
                return .object(entry)
            })),
        ]
        if let scores = output.scores {
            fields.append(("scores", .array(try scoreMaps(scores, width: map.width, height: map.height).enumerated().map { c, png in
                .object([("class_id", .number(Double(c))), ("label", .string(name(c))),
                         ("png", .string(Data(png).base64EncodedString()))])
            })))
        }
        return fields
    }

    /// The binary mask of one class of a label map.
    public static func classMask(_ map: LabelMap, _ label: Int) -> RLE {
        let target = UInt8(label)
        return RLE(rowMajor: map.labels.map { $0 == target ? 1 : 0 }, height: map.height, width: map.width)
    }

    /// Each class's probability map as an 8-bit gray PNG: round(255 * p).
    static func scoreMaps(_ scores: Tensor, width: Int, height: Int) throws -> [[UInt8]] {
        let plane = width * height
        guard scores.shape.count == 3, scores.shape[1] == height, scores.shape[2] == width else {
            throw PipelineError.internalFailure("score maps of shape \(scores.shape) for a \(width)x\(height) image")
        }
        return try (0..<scores.shape[0]).map { c in
            let gray = scores.storage[(c * plane)..<((c + 1) * plane)].map { p -> UInt8 in
                UInt8(min(max((p * 255).rounded(), 0), 255))
            }
            return try encodePNG(gray: gray, width: width, height: height, compressionLevel: 6)
        }
    }

    /// `panoptic` (COCO panoptic PNG, id = R + 256 G + 256² B) and `segments_info`.
    static func panoptic(_ result: PanopticResult, parameters: SegmentParameters, thingNames: [String],
                         stuffNames: [String]) throws -> [(String, JSONValue)] {
        let png = try encodePanopticPNG(segmentIds: result.segmentIds, width: result.width, height: result.height)
        let info: [JSONValue] = try result.segments.map { s in
            var entry: [(String, JSONValue)] = [
                ("id", .number(Double(s.id))),
                ("category_id", .number(Double(PanopticCategories.categoryId(s, thingNames: thingNames, stuffNames: stuffNames)))),
                ("isthing", .bool(s.isThing)), ("area", .number(Double(s.area))),
                ("bbox", .array(s.bbox.array.map { .number($0) })),
                ("label", .string(PanopticCategories.label(s, thingNames: thingNames, stuffNames: stuffNames))),
            ]
            if let score = s.score { entry.append(("score", .float(score))) }
            if let format = parameters.maskFormat {
                entry.append(("mask", try MaskJSON.encode(segmentMask(result, id: s.id), format: format)))
            }
            return .object(entry)
        }
        return [("panoptic", .string(Data(png).base64EncodedString())), ("segments_info", .array(info))]
    }

    /// One image's entry of a COCO panoptic predictions document (`{"annotations": [...]}`, what panopticapi's
    /// `pq_compute` and `argus eval --panoptic` read), its PNG named `fileName`; ids as `PanopticCategories`.
    public static func panopticAnnotation(_ result: PanopticResult, imageId: Int, fileName: String, thingNames: [String],
                                          stuffNames: [String]) -> JSONValue {
        let info: [JSONValue] = result.segments.map { s in
            .object([("id", .number(Double(s.id))),
                     ("category_id", .number(Double(PanopticCategories.categoryId(s, thingNames: thingNames, stuffNames: stuffNames)))),
                     ("iscrowd", .number(0)), ("isthing", .number(s.isThing ? 1 : 0)), ("area", .number(Double(s.area))),
                     ("bbox", .array(s.bbox.array.map { .number($0) }))])
        }
        return .object([("image_id", .number(Double(imageId))), ("file_name", .string(fileName)), ("segments_info", .array(info))])
    }

    /// The class name of a thing's COCO category id (the inverse of `COCOResultJSON.categoryId`).
    static func thingLabel(_ categoryId: Int, classNames: [String]) -> String {
        if let c = classNames.indices.first(where: { COCOResultJSON.categoryId(classId: $0, classNames: classNames) == categoryId }) {
            return classNames[c]
        }
        return String(categoryId)
    }

    /// The binary mask of one panoptic segment.
    public static func segmentMask(_ result: PanopticResult, id: Int) -> RLE {
        let target = UInt32(truncatingIfNeeded: id)
        return RLE(rowMajor: result.segmentIds.map { $0 == target ? 1 : 0 }, height: result.height, width: result.width)
    }
}
