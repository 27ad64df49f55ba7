import ArgumentParser
import ArgusJSON
import ArgusModels
import ArgusPipeline
import ArgusTensor
import Foundation

/// `argus classify`: the most probable ImageNet classes of image files, as JSON.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Classify images with a torchvision classifier and print JSON.",
        discussion: "Models: torchvision's alexnet, vgg16, resnet18, resnet50, mobilenet_v3_large and mobilenet_v3_small "
            + "state dicts (--weights FILE, the architecture read off the tensors or given with --arch). Each image goes "
            + "through the weights' preset (short side resized to 256 with antialiased bilinear, 224x224 center crop, "
            + "ImageNet mean/std), the network and a softmax. Prints a JSON array with one {file, width, height, classes} "
            + "object per image; classes are [{class_id, label, score}] with the softmax probability, best first.")

    @OptionGroup var selection: ModelSelection

    @Option(help: "How many classes per image, best first (default 5).")
    var top: Int = ClassifyOptions.defaultTop

    @Flag(name: .customLong("allow-truncated"),
          help: "Decode a JPEG whose data is cut or damaged as libjpeg does (missing blocks filled) instead of refusing it.")
    var allowTruncated = false

    @Option(help: ArgumentHelp("Write the JSON here instead of stdout.", valueName: "file"))
    var output: String?

    @Option(help: "Compute threads (default: all cores).")
    var threads: Int?

    @Argument(help: "JPEG or PNG files, or directories of them.")
    var images: [String]

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be >= 1") }
    }

    func run() throws {
        if let threads { EngineThreads.set(max(1, threads)) }
        let files = try failing { try imageFiles(images) }
        let loaded = try selection.loadModel()
        guard let classifier = loaded.classifier else {
            throw failure(selection.weights ?? selection.model, CLIError("'\(loaded.info.name)' is a \(loaded.info.task.rawValue) model "
                + "(\(loaded.info.family)), not an image classifier; run it with `argus \(loaded.info.task == .detect ? "detect" : "segment")`"))
        }
        let options = ClassifyOptions(top: top)
        var entries: [JSONValue] = []
        for path in files {
            let bytes = try readInput(path)
            let result = try failing(path) {
                try ImageRun.classify([bytes], model: classifier, options: options, limits: RunLimits(allowTruncated: allowTruncated)).0[0]
            }
            entries.append(.object([("file", .string(path)), ("width", .number(Double(result.width))),
                                    ("height", .number(Double(result.height))),
                                    ("classes", ClassificationJSON.classes(result.output))]))
        }
        let text = JSONValue.lines(entries)
        try writeOutput(text, to: output)
    }
}
