import ArgusDetection
import ArgusImage
import ArgusMask
import ArgusModels

/// What a segmentation request (POST /segment, `argus segment`) runs on each image: instance masks, a semantic label map, or both merged.
public enum SegmentPlan: Sendable {
    /// A detector whose detections carry masks.
    case instance(any Detector, DetectOptions)
    /// A per-pixel classifier.
    case semantic(any SemanticSegmenter, SegmentOptions)
    /// Things from the detector, stuff from the semantic model, merged into one panoptic map.
    case panoptic(any Detector, DetectOptions, any SemanticSegmenter, SegmentOptions, PanopticOptions)

    /// The response's `task`.
    public var task: String {
        switch self {
        case .instance: return "instance"
        case .semantic: return "semantic"
        case .panoptic: return "panoptic"
        }
    }

    /// The model named in responses (`model`): the instance model, or the semantic one alone.
    public var modelName: String {
        switch self {
        case .instance(let m, _), .panoptic(let m, _, _, _, _): return m.info.name
        case .semantic(let m, _): return m.info.name
        }
    }
}

/// One image's segmentation.
public enum SegmentOutcome: Sendable {
    case instance([Detection])
    case semantic(SemanticOutput)
    /// The merge, with the instance model's detections (their labels name the things).
    case panoptic(PanopticResult, things: [Detection])
}

/// Runs a plan on one decoded image.
public enum SegmentPipeline {
    /// `proposals`: the caller's regions for an instance model (Fast R-CNN mode).
    public static func run(_ image: RGBImage, plan: SegmentPlan, proposals: CallerRegions? = nil) throws -> (SegmentOutcome, StageTimings) {
        switch plan {
        case .instance(let model, let options):
            let out = try ImageRun.detect(image, model: model, options: options, proposals: proposals)
            return (.instance(out.detections), out.timings)
        case .semantic(let model, let options):
            let out = try model.segment(image, options: options)
            return (.semantic(out), out.timings)
        case .panoptic(let detector, let detectOptions, let segmenter, let segmentOptions, let panopticOptions):
            let things = try detector.detect(image, options: detectOptions)
            let stuff = try segmenter.segment(image, options: segmentOptions)
            let start = MonotonicClock.now()
            let instances = things.detections.compactMap { d -> PanopticInstance? in
                guard let mask = d.mask else { return nil }
                return PanopticInstance(mask: mask, score: d.score,
                                        categoryId: COCOResultJSON.categoryId(classId: d.classId, classNames: detector.info.classNames))
            }
            let merged: PanopticResult
            do { merged = try PanopticMerge.merge(instances: instances, semantic: stuff.labels, options: panopticOptions) } catch {
                throw PipelineError.internalFailure("panoptic merge failed: \(error)")
            }
            let mergeMs = MonotonicClock.milliseconds(since: start)
            let timings = StageTimings(preprocess: things.timings.preprocess + stuff.timings.preprocess,
                                       inference: things.timings.inference + stuff.timings.inference,
                                       postprocess: things.timings.postprocess + stuff.timings.postprocess + mergeMs)
            return (.panoptic(merged, things: things.detections), timings)
        }
    }
}
