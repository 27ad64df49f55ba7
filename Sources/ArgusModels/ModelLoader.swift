import ArgusWeights

/// Loads a model from a checkpoint file, recognising its family from what the file holds.
public enum ModelLoader {
    /// - Parameters:
    ///   - name: the model's name; defaults to the file's stem (`yolov5n` for `yolov5n.pt`).
    ///   - architecture: a torchvision builder name (e.g. `fasterrcnn_resnet50_fpn`) for a torchvision state
    ///     dict; nil infers it from the tensors (and the file name for the 320 px MobileNet model).
    ///   - numClasses: checked against the checkpoint's classifier when given.
    ///   - manifests: a file named as one of these manifests' published weights file (e.g.
    ///     `fasterrcnn_resnet50_fpn_coco-258fb6c6.pth`) is built from that manifest, which carries what the tensors
    ///     cannot tell (class names, torchvision's load-time settings such as batch-norm eps 0).
    public static func load(contentsOf path: String, name: String? = nil, architecture: String? = nil,
                            numClasses: Int? = nil, manifests: [ModelManifest] = []) throws -> any Detector {
        let model = try loadModel(contentsOf: path, name: name, architecture: architecture, numClasses: numClasses,
                                  manifests: manifests)
        guard let detector = model.detector else {
            throw ModelError.unsupportedCheckpoint("\(path) is a semantic segmentation model (\(model.info.family)); "
                + "it labels pixels and has no boxes: use it for segmentation")
        }
        return detector
    }

    /// Loads any model family: detectors (YOLOv5, Faster/Mask R-CNN) and semantic segmenters (torchvision's
    /// FCN, DeepLabV3, LRASPP). Parameters as `load(contentsOf:...)`; `architecture` may also name a
    /// semantic builder (e.g. `deeplabv3_mobilenet_v3_large`).
    public static func loadModel(contentsOf path: String, name: String? = nil, architecture: String? = nil,
                                 numClasses: Int? = nil, manifests: [ModelManifest] = []) throws -> LoadedModel {
        let modelName = name ?? fileStem(path)
        if isONNX(path) {
            if let architecture {
                throw ModelError.unsupportedCheckpoint("--arch \(architecture) is for torchvision state dicts; "
                    + "an ONNX file carries its own graph")
            }
            let model = try loadONNX(contentsOf: path, name: modelName)
            try check(numClasses, model.info.classNames.count)
            return model
        }
        let checkpoint = try Checkpoint.load(contentsOf: path)
        let fileName = path.split(separator: "/").last.map(String.init) ?? path
        // An R-CNN manifest shares its classifier's file; the file alone names the classifier.
        if let manifest = manifests.first(where: { $0.weights.file == fileName && $0.family != .rcnn }),
           architecture == nil || architecture == manifest.architecture {
            let model = try loadModel(manifest: manifest, checkpoint: checkpoint, name: modelName)
            try check(numClasses, model.info.classNames.count)
            return model
        }
        let request = LoadRequest(path: path, name: modelName, architecture: architecture)
        let family: ModelFamily
        if let architecture {
            guard let named = ModelFamilies.family(architecture: architecture) else {
                throw ModelError.unsupportedCheckpoint("unknown architecture '\(architecture)'; known: "
                    + knownArchitectures.joined(separator: ", "))
            }
            guard named.recognizesCheckpoint?(checkpoint) == true else {
                let found = ModelFamilies.all.first { $0.recognizesCheckpoint?(checkpoint) == true && !$0.architectures.isEmpty }
                throw ModelError.unsupportedCheckpoint("--arch \(architecture) needs a state dict of that builder (\(named.name)); "
                    + "\(path) " + (found.map { "holds a \($0.name) model" } ?? "has none of torchvision's detection, segmentation or classification heads"))
            }
            family = named
        } else {
            // The last family (YOLOv5) takes whatever the others do not recognise.
            family = ModelFamilies.all.first { $0.recognizesCheckpoint?(checkpoint) == true } ?? ModelFamilies.all[ModelFamilies.all.count - 1]
        }
        guard let load = family.loadCheckpoint else {
            throw ModelError.unsupportedCheckpoint("\(path): \(family.name) models are not loaded from checkpoints")
        }
        let model = try load(checkpoint, request)
        try check(numClasses, model.info.classNames.count)
        return model
    }

    /// R-CNN (`SlowRCNN`) around the image classifier in `path` (a torchvision classification state dict; a published
    /// file gets its manifest's preset and name), named `rcnn_<classifier name>`.
    public static func loadRCNN(classifierAt path: String, manifests: [ModelManifest] = []) throws -> LoadedModel {
        let model = try loadModel(contentsOf: path, manifests: manifests)
        guard let classifier = model.classifier as? TorchvisionClassifier else {
            throw ModelError.unsupportedCheckpoint("R-CNN needs an image classifier (a torchvision alexnet, vgg16, resnet18, "
                + "resnet50 or mobilenet_v3 state dict); \(path) holds a \(model.info.family) model")
        }
        return .detector(try SlowRCNN.around(classifier))
    }

    /// Every torchvision builder name `architecture` accepts.
    public static var knownArchitectures: [String] { ModelFamilies.architectures }

    /// Builds a catalog detector: the manifest's architecture, hyper-parameters and class names, with the
    /// weights in `weightsPath`.
    public static func load(manifest: ModelManifest, weightsPath: String, name: String? = nil) throws -> any Detector {
        let model = try loadModel(manifest: manifest, weightsPath: weightsPath, name: name)
        guard let detector = model.detector else {
            throw ModelError.unsupportedCheckpoint("\(manifest.name) is a semantic segmentation model: it has no boxes")
        }
        return detector
    }

    /// Builds any catalog model (detector or semantic segmenter) from its manifest and the weights in `weightsPath`.
    public static func loadModel(manifest: ModelManifest, weightsPath: String, name: String? = nil) throws -> LoadedModel {
        try loadModel(manifest: manifest, checkpoint: Checkpoint.load(contentsOf: weightsPath), name: name)
    }

    static func loadModel(manifest: ModelManifest, checkpoint: Checkpoint, name: String?) throws -> LoadedModel {
        switch manifest.config {
        case .fasterRCNN(let config):
            return .detector(try FasterRCNN.load(checkpoint, config: config, name: name ?? manifest.name,
                                                 classNames: manifest.classNames))
        case .semantic(let config):
            return .semantic(try TorchvisionSegmenter.load(checkpoint, config: config, name: name ?? manifest.name,
                                                           classNames: manifest.classNames))
        case .classification(let config):
            let model = try TorchvisionClassifier.load(checkpoint, architecture: config.architecture, name: name ?? manifest.name,
                                                       preset: config.preset, classNames: manifest.classNames)
            return .classifier(model)
        case .ssd(let config):
            return .detector(try SSD.load(checkpoint, config: config, name: name ?? manifest.name, classNames: manifest.classNames))
        case .retinanet(let config):
            return .detector(try RetinaNet.load(checkpoint, config: config, name: name ?? manifest.name,
                                                classNames: manifest.classNames))
        case .rcnn(let config):
            return .detector(try SlowRCNN.load(checkpoint, config: config, name: name ?? manifest.name, classNames: manifest.classNames))
        }
    }

    static func check(_ expected: Int?, _ found: Int) throws {
        if let expected, expected != found {
            throw ModelError.unsupportedCheckpoint("--num-classes \(expected), but the checkpoint's classifier has \(found) outputs")
        }
    }

    public static func fileStem(_ path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        if let dot = file.lastIndex(of: "."), dot != file.startIndex { return String(file[..<dot]) }
        return file
    }
}
