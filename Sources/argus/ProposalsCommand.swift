import ArgumentParser
import ArgusJSON
import ArgusPipeline
import ArgusProposals
import Foundation

/// `argus proposals`: class-agnostic region proposals of image files (OpenCV's selective search), as JSON.
struct ProposalsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proposals",
        abstract: "Region proposals by selective search, as OpenCV contrib computes them, printed as JSON.",
        discussion: "Prints a JSON array with one {file, width, height, proposals} object per image; proposals are "
            + "[x1, y1, x2, y2] in image pixels (OpenCV's rect [x, y, w, h] as [x, y, x + w, y + h]), in OpenCV's order "
            + "(ranks from glibc's rand() in its initial state, as in a fresh Python process calling ss.process()). "
            + "fast: switchToSelectiveSearchFast (HSV and Lab, k = 150, 300, 450); quality: "
            + "switchToSelectiveSearchQuality. Images of at most \(RegionProposals.maxSelectiveSearchPixels) pixels.")

    enum Method: String, ExpressibleByArgument { case selectiveSearch = "selective-search" }
    enum Mode: String, ExpressibleByArgument { case fast, quality }

    @Option(help: "The proposal method (selective-search).")
    var method: Method = .selectiveSearch

    @Option(help: "Selective search's preset: fast or quality.")
    var mode: Mode = .fast

    @Flag(name: .customLong("allow-truncated"),
          help: "Decode a JPEG whose data is cut or damaged as libjpeg does (missing blocks filled) instead of refusing it.")
    var allowTruncated = false

    @Option(help: ArgumentHelp("Write the JSON here instead of stdout.", valueName: "file"))
    var output: String?

    @Argument(help: "JPEG or PNG files, or directories of them.")
    var images: [String]

    func run() throws {
        let files = try failing { try imageFiles(images) }
        let searchMode: SelectiveSearchMode = mode == .fast ? .fast : .quality
        var entries: [JSONValue] = []
        for path in files {
            let bytes = try readInput(path)
            let result = try failing(path) {
                try RegionProposals.selectiveSearch([bytes], mode: searchMode, limits: RunLimits(allowTruncated: allowTruncated))[0]
            }
            let boxes = result.rects.map { r in
                JSONValue.array([r.x, r.y, r.x + r.width, r.y + r.height].map { .number(Double($0)) })
            }
            entries.append(.object([("file", .string(path)), ("width", .number(Double(result.width))),
                                    ("height", .number(Double(result.height))), ("proposals", .array(boxes))]))
        }
        let text = JSONValue.lines(entries)
        try writeOutput(text, to: output)
    }
}
