/// The hyper-parameters of a torchvision segmentation model that its tensors do not fix, named (in JSON) as
/// torchvision names them. Head widths, class count and the MobileNet width come from the tensors.
public struct SemanticConfig: Sendable, Codable, Equatable {
    public var architecture: SemanticArchitecture
    /// Classes including background (21 for torchvision's VOC-label weights); read off the tensors on load.
    public var numClasses: Int
    /// SemanticSegmentation preset: x = (pixel / 255 - mean) / std.
    public var imageMean: [Float]
    public var imageStd: [Float]
    /// ASPP dilation rates (DeepLabHead: 12, 24, 36).
    public var atrousRates: [Int]
    /// MobileNetV3 width multiplier (1.0 for the published models; read off the tensors on load).
    public var widthMult: Double
    /// BatchNorm2d epsilon of the heads and of ResNet-50 (1e-5).
    public var batchNormEps: Float
    /// BatchNorm2d epsilon of the MobileNetV3 backbone (torchvision's MobileNetV3 builds its norms with
    /// eps 0.001); nil: that for MobileNet, `batchNormEps` for ResNet.
    public var backboneBatchNormEps: Float?

    /// The epsilon the backbone's batch norms fold with.
    public var effectiveBackboneEps: Float {
        backboneBatchNormEps ?? (architecture.backbone == .mobilenetV3Large ? 0.001 : batchNormEps)
    }

    enum CodingKeys: String, CodingKey {
        case architecture, numClasses = "num_classes", imageMean = "image_mean", imageStd = "image_std"
        case atrousRates = "atrous_rates", widthMult = "width_mult", batchNormEps = "batch_norm_eps"
        case backboneBatchNormEps = "backbone_batch_norm_eps"
    }

    public init(architecture: SemanticArchitecture, numClasses: Int = 21, imageMean: [Float] = [0.485, 0.456, 0.406],
                imageStd: [Float] = [0.229, 0.224, 0.225], atrousRates: [Int] = [12, 24, 36], widthMult: Double = 1.0,
                batchNormEps: Float = 1e-5, backboneBatchNormEps: Float? = nil) {
        self.architecture = architecture; self.numClasses = numClasses
        self.imageMean = imageMean; self.imageStd = imageStd; self.atrousRates = atrousRates
        self.widthMult = widthMult; self.batchNormEps = batchNormEps; self.backboneBatchNormEps = backboneBatchNormEps
    }

    /// Missing keys take torchvision's builder defaults (only `architecture` is required).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SemanticConfig(architecture: try c.decode(SemanticArchitecture.self, forKey: .architecture))
        self.init(architecture: d.architecture,
                  numClasses: try c.decodeIfPresent(Int.self, forKey: .numClasses) ?? d.numClasses,
                  imageMean: try c.decodeIfPresent([Float].self, forKey: .imageMean) ?? d.imageMean,
                  imageStd: try c.decodeIfPresent([Float].self, forKey: .imageStd) ?? d.imageStd,
                  atrousRates: try c.decodeIfPresent([Int].self, forKey: .atrousRates) ?? d.atrousRates,
                  widthMult: try c.decodeIfPresent(Double.self, forKey: .widthMult) ?? d.widthMult,
                  batchNormEps: try c.decodeIfPresent(Float.self, forKey: .batchNormEps) ?? d.batchNormEps,
                  backboneBatchNormEps: try c.decodeIfPresent(Float.self, forKey: .backboneBatchNormEps))
    }

    /// Checks the ranges, naming the first bad field.
    public func validated() throws -> SemanticConfig {
        guard (1...256).contains(numClasses) else {
            throw ModelError.malformedConfig("num_classes must be in 1...256 (labels are 8-bit), got \(numClasses)")
        }
        guard imageMean.count == 3, imageStd.count == 3, imageStd.allSatisfy({ $0 > 0 && $0.isFinite }),
              imageMean.allSatisfy(\.isFinite) else {
            throw ModelError.malformedConfig("image_mean and image_std need 3 finite values (std > 0)")
        }
        guard !atrousRates.isEmpty, atrousRates.allSatisfy({ (1...1024).contains($0) }) else {
            throw ModelError.malformedConfig("atrous_rates must be positive, got \(atrousRates)")
        }
        guard widthMult > 0, widthMult <= 4 else { throw ModelError.malformedConfig("width_mult must be in (0, 4], got \(widthMult)") }
        guard batchNormEps >= 0, batchNormEps.isFinite, effectiveBackboneEps >= 0, effectiveBackboneEps.isFinite else {
            throw ModelError.malformedConfig("batch_norm_eps must be >= 0, got \(batchNormEps)")
        }
        return self
    }
}
