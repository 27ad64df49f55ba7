import ArgusDetection
import ArgusImage
import ArgusModels
import ArgusProposals

/// Where Fast R-CNN mode's region proposals come from.
public enum ProposalSource: Sendable, Equatable {
    /// The caller's boxes, in original-image pixels.
    case boxes([Box])
    /// Selective search on each image (OpenCV contrib's), as the Fast R-CNN paper feeds its detector.
    case selectiveSearch(SelectiveSearchMode)

    /// The text form the CLI's `--proposals` and the HTTP `proposals` parameter accept besides a box list:
    /// `selective_search` (fast mode), `selective_search:fast`, `selective_search:quality` (also as a JSON string).
    public init?(name: String) {
        var text = Substring(name.trimmingSpaces())
        if text.count >= 2, text.first == "\"", text.last == "\"" { text = text.dropFirst().dropLast() }
        switch text {
        case "selective_search", "selective_search:fast": self = .selectiveSearch(.fast)
        case "selective_search:quality": self = .selectiveSearch(.quality)
        default: return nil
        }
    }
}

/// Region proposals computed from the image itself.
public enum RegionProposals {
    /// The largest image selective search runs on.
    public static let maxSelectiveSearchPixels = SelectiveSearch.maxPixels
    /// How many selective-search boxes Fast R-CNN mode scores, in OpenCV's order (the paper's 2000).
    public static let fastRCNNCount = 2000

    /// OpenCV's selective search on a decoded image: rects [x, y, w, h] in its pixels, in OpenCV's order.
    public static func selectiveSearch(_ image: RGBImage, mode: SelectiveSearchMode) throws -> [ProposalRect] {
        guard image.width * image.height <= maxSelectiveSearchPixels else {
            throw PipelineError.invalidParameter("selective search runs on images of at most \(maxSelectiveSearchPixels) pixels; "
                + "this one is \(image.width)x\(image.height) (resize it first)")
        }
        return SelectiveSearch(mode: mode).process(ChannelImage(bgr: image))
    }

    /// Each image decoded (within `limits`) and run through selective search: its size and its rects.
    public static func selectiveSearch(_ images: [[UInt8]], mode: SelectiveSearchMode, limits: RunLimits = RunLimits())
        throws -> [(width: Int, height: Int, rects: [ProposalRect])] {
        var timings = PipelineTimings()
        return try ImageRun.each(images, limits: limits, timings: &timings) { _, decoded in
            let start = MonotonicClock.now()
            let rects = try selectiveSearch(decoded.image, mode: mode)
            return ((decoded.image.width, decoded.image.height, rects),
                    StageTimings(inference: MonotonicClock.milliseconds(since: start)))
        }
    }

    /// The boxes Fast R-CNN mode scores for `source` on `image`.
    static func boxes(_ source: ProposalSource, image: RGBImage) throws -> [Box] {
        switch source {
        case .boxes(let boxes): return boxes
        case .selectiveSearch(let mode): return try selectiveSearch(image, mode: mode).prefix(fastRCNNCount).map(\.box)
        }
    }
}
