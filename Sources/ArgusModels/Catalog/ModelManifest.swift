import Foundation

/// A model manifest (`models/<name>.json`): what a published checkpoint is, where to get it, and every
/// hyper-parameter the model is built with.
///
/// ```json
/// {"name": "fasterrcnn_resnet50_fpn", "architecture": "fasterrcnn_resnet50_fpn", "task": "detect",
///  "family": "faster_rcnn", "reference": "torchvision.models.detection.fasterrcnn_resnet50_fpn",
///  "weights": {"url": "https://...", "file": "....pth", "sha256": "...", "size": 167502836, ...},
///  "class_names": ["__background__", "person", ...], "config": {"architecture": "...", ...},
///  "source": {"min_size": "torchvision/models/detection/faster_rcnn.py:172: min_size=800,", ...}}
/// ```
/// Unknown keys are errors at every level (a misspelt key must not fall back to a default silently).
public struct ModelManifest: Sendable, Codable, Equatable {
    /// The catalog name; equals the manifest's file stem.
    public var name: String
    /// The architecture (for `faster_rcnn`: a torchvision builder name); equals `config.architecture`.
    public var architecture: String
    public var task: ModelTask
    public var family: ManifestFamily
    /// The reference implementation the model mirrors (e.g. `torchvision.models.detection.fasterrcnn_resnet50_fpn`).
    public var reference: String?
    public var weights: ManifestWeights
    /// Class names by class index (index 0 is `__background__` for two-stage detectors).
    public var classNames: [String]
    public var config: ModelConfig
    /// Where each value was read (key -> `file:line: text`); informational.
    public var source: [String: String]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, architecture, task, family, reference, weights
        case classNames = "class_names", config, source
    }

    public init(name: String, architecture: String, task: ModelTask, family: ManifestFamily, reference: String?,
                weights: ManifestWeights, classNames: [String], config: ModelConfig, source: [String: String]?) {
        self.name = name; self.architecture = architecture; self.task = task; self.family = family
        self.reference = reference; self.weights = weights; self.classNames = classNames
        self.config = config; self.source = source
    }

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        architecture = try c.decode(String.self, forKey: .architecture)
        task = try c.decode(ModelTask.self, forKey: .task)
        family = try c.decode(ManifestFamily.self, forKey: .family)
        reference = try c.decodeIfPresent(String.self, forKey: .reference)
        weights = try c.decode(ManifestWeights.self, forKey: .weights)
        classNames = try c.decode([String].self, forKey: .classNames)
        switch family {
        case .fasterRCNN, .maskRCNN: config = .fasterRCNN(try c.decode(FasterRCNNConfig.self, forKey: .config))
        case .semantic: config = .semantic(try c.decode(SemanticConfig.self, forKey: .config))
        case .classification: config = .classification(try c.decode(ClassificationConfig.self, forKey: .config))
        case .ssd: config = .ssd(try c.decode(SSDConfig.self, forKey: .config))
        case .retinanet: config = .retinanet(try c.decode(RetinaNetConfig.self, forKey: .config))
        case .rcnn: config = .rcnn(try c.decode(SlowRCNNConfig.self, forKey: .config))
        }
        source = try c.decodeIfPresent([String: String].self, forKey: .source)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(architecture, forKey: .architecture)
        try c.encode(task, forKey: .task)
        try c.encode(family, forKey: .family)
        try c.encodeIfPresent(reference, forKey: .reference)
        try c.encode(weights, forKey: .weights)
        try c.encode(classNames, forKey: .classNames)
        switch config {
        case .fasterRCNN(let config): try c.encode(config, forKey: .config)
        case .semantic(let config): try c.encode(config, forKey: .config)
        case .classification(let config): try c.encode(config, forKey: .config)
        case .ssd(let config): try c.encode(config, forKey: .config)
        case .retinanet(let config): try c.encode(config, forKey: .config)
        case .rcnn(let config): try c.encode(config, forKey: .config)
        }
        try c.encodeIfPresent(source, forKey: .source)
    }

    /// Decodes and validates a manifest file; `name` must equal the file's stem.
    public static func load(contentsOf path: String) throws -> ModelManifest {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CatalogError.malformedManifest(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        return try decode(data, path: path)
    }

    /// Decodes and validates manifest bytes as read from `path` (which names it in errors and gives the stem).
    static func decode(_ data: Data, path: String) throws -> ModelManifest {
        guard data.count <= maxManifestBytes else {
            throw CatalogError.malformedManifest(path: path, reason: "larger than \(maxManifestBytes) bytes")
        }
        let manifest: ModelManifest
        do { manifest = try JSONDecoder().decode(ModelManifest.self, from: data) } catch let error as DecodingError {
            throw CatalogError.malformedManifest(path: path, reason: describe(error))
        } catch let error as ModelError {
            throw CatalogError.malformedManifest(path: path, reason: error.description)
        }
        do {
            return try manifest.validated(fileStem: fileStem(path))
        } catch let error as ModelError {
            throw CatalogError.malformedManifest(path: path, reason: error.description)
        }
    }

    /// Manifests are a few KB; anything far larger is not one.
    public static let maxManifestBytes = 1 << 20

    /// Checks what decoding cannot: consistent names, class count, weights location and checksum fields.
    public func validated(fileStem: String? = nil) throws -> ModelManifest {
        func fail(_ m: String) -> ModelError { .malformedConfig(m) }
        guard Self.isPlainName(name) else {
            throw fail("name '\(name)' must be 1-128 characters of A-Z a-z 0-9 . _ - (not starting with '.')")
        }
        if let stem = fileStem, stem != name {
            throw fail("name '\(name)' must equal the file name '\(stem).json'")
        }
        guard classNames.allSatisfy({ !$0.isEmpty }) else { throw fail("class_names has an empty name") }
        func checkArchitecture(_ configured: String) throws {
            guard architecture == configured else {
                throw fail("architecture '\(architecture)' differs from config.architecture '\(configured)'")
            }
        }
        func checkClassCount(_ n: Int, note: String = "") throws {
            guard classNames.count == n else { throw fail("\(classNames.count) class_names for num_classes \(n)\(note)") }
        }
        func checkSingleStage(_ expected: ManifestFamily, classCount: Int) throws {
            guard family == expected, task == .detect else {
                throw fail("a \(expected.rawValue) config needs family \(expected.rawValue) and task 'detect'")
            }
            try checkClassCount(classCount, note: " (index 0 included)")
        }
        switch config {
        case .fasterRCNN(let c):
            _ = try c.validated()
            try checkArchitecture(c.architecture.rawValue)
            let masked = c.maskHeadLayers != nil
            guard family == (masked ? .maskRCNN : .fasterRCNN) else {
                throw fail("family \(family.rawValue) does not fit the config (mask_head_layers \(masked ? "set" : "null"))")
            }
            let expected: ModelTask = masked ? .segment : .detect
            guard task == expected else {
                throw fail("family \(family.rawValue) has task '\(expected.rawValue)', not '\(task.rawValue)'")
            }
            try checkClassCount(c.numClasses, note: " (background included)")
            guard classNames.first == "__background__" else {
                throw fail("class_names[0] must be '__background__' (Faster R-CNN's class 0), got '\(classNames[0])'")
            }
        case .semantic(let c):
            _ = try c.validated()
            try checkArchitecture(c.architecture.rawValue)
            guard family == .semantic, task == .semantic else {
                throw fail("a semantic segmentation config needs family semantic_segmentation and task 'semantic'")
            }
            try checkClassCount(c.numClasses)
        case .classification(let c):
            _ = try c.validated()
            try checkArchitecture(c.architecture.rawValue)
            guard family == .classification, task == .classify else {
                throw fail("a classification config needs family image_classification and task 'classify'")
            }
            try checkClassCount(c.numClasses)
        case .ssd(let c):
            _ = try c.validated()
            try checkArchitecture(c.architecture.rawValue)
            try checkSingleStage(.ssd, classCount: c.numClasses)
        case .retinanet(let c):
            _ = try c.validated()
            try checkArchitecture(c.architecture.rawValue)
            try checkSingleStage(.retinanet, classCount: c.numClasses)
        case .rcnn(let c):
            _ = try c.validated()
            try checkArchitecture(c.classifier.architecture.rawValue)
            guard family == .rcnn, task == .detect else { throw fail("an rcnn config needs family rcnn and task 'detect'") }
            try checkClassCount(c.classifier.numClasses)
        }
        _ = try weights.validated()
        return self
    }

    /// Names that are safe as file names and URL path segments.
    static func isPlainName(_ s: String) -> Bool {
        guard (1...128).contains(s.utf8.count), !s.hasPrefix(".") else { return false }
        return s.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x5F || c == 0x2D
        }
    }

    static func fileStem(_ path: String) -> String {
        let file = URL(fileURLWithPath: path).lastPathComponent
        return file.hasSuffix(".json") ? String(file.dropLast(5)) : file
    }
}

/// The model families a manifest can describe.
public enum ManifestFamily: String, Sendable, Codable, CaseIterable {
    case fasterRCNN = "faster_rcnn"
    /// Faster R-CNN with a mask branch (its config sets mask_head_layers).
    case maskRCNN = "mask_rcnn"
    /// torchvision's semantic segmentation models (FCN, DeepLabV3, LRASPP).
    case semantic = "semantic_segmentation"
    /// torchvision's image classifiers (AlexNet, VGG, ResNet, MobileNetV3).
    case classification = "image_classification"
    /// torchvision's SSD300 and SSDlite.
    case ssd
    /// torchvision's RetinaNet (v1 and v2).
    case retinanet
    /// R-CNN: a torchvision image classifier over warped region proposals; the weights are the classifier's.
    case rcnn
}

/// A family's hyper-parameters.
public enum ModelConfig: Sendable, Equatable {
    case fasterRCNN(FasterRCNNConfig)
    case semantic(SemanticConfig)
    case classification(ClassificationConfig)
    case ssd(SSDConfig)
    case retinanet(RetinaNetConfig)
    case rcnn(SlowRCNNConfig)

    /// The Faster R-CNN configuration, if this is one.
    public var fasterRCNN: FasterRCNNConfig? {
        if case .fasterRCNN(let c) = self { return c }
        return nil
    }

    /// The semantic segmentation configuration, if this is one.
    public var semantic: SemanticConfig? {
        if case .semantic(let c) = self { return c }
        return nil
    }

    /// The classification configuration, if this is one.
    public var classification: ClassificationConfig? {
        if case .classification(let c) = self { return c }
        return nil
    }
}

/// Throws if the object at `decoder` has a key outside `Keys`.
func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ decoder: Decoder, _: Keys.Type) throws {
    let any = try decoder.container(keyedBy: ManifestKey.self)
    let known = Set(Keys.allCases.map(\.stringValue))
    for key in any.allKeys where !known.contains(key.stringValue) {
        throw DecodingError.dataCorruptedError(forKey: key, in: any, debugDescription:
            "unknown key '\(key.stringValue)' (expected one of: \(Keys.allCases.map(\.stringValue).joined(separator: ", ")))")
    }
}

struct ManifestKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
}

/// One line for a decoding failure: where (`weights.sha256`) and what.
func describe(_ error: DecodingError) -> String {
    func path(_ keys: [CodingKey]) -> String {
        let p = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
        return p.isEmpty ? "top level" : p
    }
    switch error {
    case .typeMismatch(let type, let ctx): return "\(path(ctx.codingPath)): expected \(type): \(ctx.debugDescription)"
    case .valueNotFound(let type, let ctx): return "\(path(ctx.codingPath)): missing \(type) value"
    case .keyNotFound(let key, let ctx): return "\(path(ctx.codingPath + [key])): required key is missing"
    case .dataCorrupted(let ctx):
        let underlying = (ctx.underlyingError as NSError?).map { " (\($0.localizedDescription))" } ?? ""
        return "\(path(ctx.codingPath)): \(ctx.debugDescription)\(underlying)"
    @unknown default: return "\(error)"
    }
}
