import ArgumentParser
import ArgusModels
import Foundation

/// How a command picks its model: a checkpoint file (`--weights`, optionally `--arch` / `--num-classes`), a
/// manifest by name (`--model`, weights from the cache or `--weights`), or neither: the built-in default model
/// (YOLOX-Nano, COCO).
struct ModelSelection: ParsableArguments {
    @Option(help: "Model file: a YOLOv5/YOLOv8 .pt, a YOLOX .pth, a torchvision Faster/Mask R-CNN, semantic segmentation or image classification state dict (.pth), or a YOLOv8/YOLOX ONNX export (.onnx). Without --weights or --model: the built-in default model (YOLOX-Nano, COCO).")
    var weights: String?

    @Option(help: "A model manifest by name (see `argus models list`); its weights come from `argus models pull`.")
    var model: String?

    @Option(help: ArgumentHelp("torchvision architecture of a --weights state dict (default: inferred from its tensors).",
                               valueName: "name"))
    var arch: String?

    @Option(name: .customLong("num-classes"),
            help: "Classes the checkpoint must have (torchvision counts the background: 91 for COCO).")
    var numClasses: Int?

    @Option(name: .customLong("rcnn-classifier"), help: ArgumentHelp(
        "R-CNN: this image classifier (a torchvision alexnet, vgg16, resnet18, resnet50 or mobilenet_v3 state dict) scores "
        + "selective search's regions, each warped with 16 px of context; ImageNet labels (a teaching pipeline).", valueName: "file"))
    var rcnnClassifier: String?

    @Option(name: .customLong("models-dir"), help: "Directory searched first for manifests (NAME.json).")
    var modelsDir: String?

    /// The torchvision builders a state dict can be loaded as.
    static var architectures: [String] { ModelLoader.knownArchitectures }

    func validate() throws {
        if rcnnClassifier != nil && (weights != nil || model != nil || arch != nil || numClasses != nil) {
            throw ValidationError("--rcnn-classifier is the whole model: drop --weights, --model, --arch and --num-classes")
        }
        if weights == nil && model == nil && (arch != nil || numClasses != nil) {
            throw ValidationError("--arch and --num-classes go with --weights (without a model flag the built-in default model is used)")
        }
        if model != nil && arch != nil { throw ValidationError("--arch goes with --weights; a --model manifest names its architecture") }
        if let n = numClasses, n < 1 { throw ValidationError("--num-classes must be >= 1") }
        if let arch, !Self.architectures.contains(arch) {
            throw ValidationError("unknown --arch '\(arch)'; known: " + Self.architectures.joined(separator: ", "))
        }
    }

    /// Loads the selected model, of any family (detectors and semantic segmenters); with no model flag, the built-in
    /// default model.
    func loadModel() throws -> LoadedModel {
        if let rcnnClassifier {
            let catalog = try failing { try ModelCatalog(modelsDirectory: modelsDir) }
            return try failing(rcnnClassifier) {
                try ModelLoader.loadRCNN(classifierAt: rcnnClassifier, manifests: catalog.entries().entries.map(\.manifest))
            }
        }
        if weights == nil && model == nil { return try failing { try DefaultModel.load() } }
        let catalog = try failing { try ModelCatalog(modelsDirectory: modelsDir) }
        if let model { return try loadManifestModel(model, catalog: catalog, weights: weights) }
        let path = weights!
        let manifests = catalog.entries().entries.map(\.manifest)
        return try failing(path) {
            try ModelLoader.loadModel(contentsOf: path, architecture: arch, numClasses: numClasses, manifests: manifests)
        }
    }

    /// Loads the selected model for a box command; a semantic model fails naming `argus segment`.
    func load() throws -> any Detector {
        let loaded = try loadModel()
        guard let detector = loaded.detector else {
            if loaded.classifier != nil {
                throw failure(weights ?? model, CLIError("'\(loaded.info.name)' is an image classifier (\(loaded.info.family)): "
                    + "it names the whole image and has no boxes; run it with `argus classify`"))
            }
            throw failure(weights ?? model, CLIError("'\(loaded.info.name)' is a semantic segmentation model (\(loaded.info.family)): "
                + "it labels pixels and has no boxes; run it with `argus segment`"))
        }
        return detector
    }
}

/// A catalog model by manifest name, its weights from `weights` or where `argus models pull` put them.
func loadManifestModel(_ name: String, catalog: ModelCatalog, weights: String? = nil) throws -> LoadedModel {
    let entry = try failing { try catalog.entry(named: name) }
    guard let path = weights ?? catalog.installedWeights(for: entry) else {
        throw failure(nil, CLIError("the weights of '\(name)' (\(entry.manifest.weights.file)) are not downloaded: run "
            + "`argus models pull \(name)`, or give --weights PATH"))
    }
    return try failing(path) { try ModelLoader.loadModel(manifest: entry.manifest, weightsPath: path) }
}
