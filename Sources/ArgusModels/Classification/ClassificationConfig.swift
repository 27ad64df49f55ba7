/// A classification manifest's `config`: the builder, the class count and the weights' own preset (torchvision's
/// `weights.transforms()`: IMAGENET1K_V1 weights resize to 256, ResNet-50's and MobileNetV3-Large's V2 to 232).
public struct ClassificationConfig: Sendable, Codable, Equatable {
    public var architecture: ClassificationArchitecture
    public var numClasses: Int
    public var preset: ClassificationPreset

    enum CodingKeys: String, CodingKey, CaseIterable {
        case architecture, numClasses = "num_classes", preset
    }

    public init(architecture: ClassificationArchitecture, numClasses: Int = 1000, preset: ClassificationPreset = .imagenetV1) {
        self.architecture = architecture; self.numClasses = numClasses; self.preset = preset
    }

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architecture = try c.decode(ClassificationArchitecture.self, forKey: .architecture)
        numClasses = try c.decode(Int.self, forKey: .numClasses)
        preset = try c.decode(ClassificationPreset.self, forKey: .preset)
    }

    func validated() throws -> ClassificationConfig {
        guard numClasses >= 1 else { throw ModelError.malformedConfig("num_classes must be >= 1, got \(numClasses)") }
        _ = try preset.validated()
        return self
    }
}
