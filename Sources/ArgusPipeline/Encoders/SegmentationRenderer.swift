import ArgusDetection
import ArgusImage
import ArgusMask
import ArgusModels

/// Draws a segmentation over its image for `render=png|jpeg`: translucent masks in their class colours, then the
/// labelled boxes of instances; semantic maps in the VOC palette with a legend of the classes present.
public enum SegmentationRenderer {
    /// How strongly masks tint the image.
    static let alpha: Float = 0.45

    public static func draw(_ outcome: SegmentOutcome, plan: SegmentPlan, on image: inout RGBImage) throws {
        switch (outcome, plan) {
        case (.instance(let detections), _):
            // Lowest score first, so the strongest instance ends up on top (as the boxes are drawn).
            for index in stableOrderDescending(detections.map(\.score)).reversed() {
                guard let mask = detections[index].mask, mask.width == image.width, mask.height == image.height else { continue }
                image.blendColumnRuns(mask.counts, color: RGBColor.forClass(detections[index].classId), alpha: alpha)
            }
            try DetectionRenderer.draw(detections, on: &image)
        case (.semantic(let output), .semantic(let model, _)):
            let map = output.labels
            let palette = SegmentationPalette.pascalVOC(count: 256)
            image.blendLabels(map.labels, palette: palette, alpha: alpha, skip: 0)
            var present = [Bool](repeating: false, count: 256)
            for label in map.labels { present[Int(label)] = true }
            let names = model.info.classNames
            let legend = (1..<256).filter { present[$0] }.map { c in
                (name: names.indices.contains(c) ? names[c] : String(c), color: palette[c])
            }
            image.drawLegend(legend, scale: labelScale(image))
        case (.panoptic(let result, _), .panoptic(_, _, let segmenter, _, _)):
            let palette = SegmentationPalette.pascalVOC(count: 256)
            var colors: [UInt32: RGBColor] = [:]
            var things: [Detection] = []
            var legend: [(name: String, color: RGBColor)] = []
            for s in result.segments {
                if s.isThing {
                    colors[UInt32(truncatingIfNeeded: s.id)] = RGBColor.forClass(s.categoryId)
                    let b = s.bbox
                    things.append(Detection(box: Box(x1: Float(b.x), y1: Float(b.y), x2: Float(b.x + b.width), y2: Float(b.y + b.height)),
                                            score: Float(s.score ?? 1), classId: s.categoryId,
                                            label: SegmentationJSON.thingLabel(s.categoryId, classNames: plan.thingNames)))
                } else {
                    let color = palette[min(255, max(0, s.categoryId))]
                    colors[UInt32(truncatingIfNeeded: s.id)] = color
                    let names = segmenter.info.classNames
                    legend.append((name: names.indices.contains(s.categoryId) ? names[s.categoryId] : String(s.categoryId), color: color))
                }
            }
            image.blendIds(result.segmentIds, colors: colors, alpha: alpha)
            try DetectionRenderer.draw(things, on: &image)
            image.drawLegend(legend, scale: labelScale(image))
        default:
            throw PipelineError.internalFailure("segmentation outcome does not match its plan")
        }
    }

    /// The label text scale DetectionRenderer uses for this image.
    static func labelScale(_ image: RGBImage) -> Int {
        max(1, Int((Double(min(image.width, image.height)) / 320).rounded()))
    }
}

extension SegmentPlan {
    /// The instance model's class names (empty for a semantic plan).
    var thingNames: [String] {
        switch self {
        case .instance(let m, _), .panoptic(let m, _, _, _, _): return m.info.classNames
        case .semantic: return []
        }
    }
}
