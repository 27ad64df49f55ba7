import ArgusImage
import ArgusTensor

/// torchvision's `ImageClassification` preset (transforms/_presets.py), what every classification weights'
/// `transforms()` returns: resize the shorter side (bilinear, antialias) on the 8-bit image, center crop,
/// scale to [0, 1], normalize.
public struct ClassificationPreset: Sendable, Equatable, Codable {
    public var resizeSize: Int
    public var cropSize: Int
    public var mean: [Float]
    public var std: [Float]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case resizeSize = "resize_size", cropSize = "crop_size", mean, std
    }

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        resizeSize = try c.decode(Int.self, forKey: .resizeSize)
        cropSize = try c.decode(Int.self, forKey: .cropSize)
        mean = try c.decode([Float].self, forKey: .mean)
        std = try c.decode([Float].self, forKey: .std)
    }

    public init(resizeSize: Int, cropSize: Int, mean: [Float] = imagenetMean, std: [Float] = imagenetStd) {
        self.resizeSize = resizeSize; self.cropSize = cropSize; self.mean = mean; self.std = std
    }

    public static let imagenetMean: [Float] = [0.485, 0.456, 0.406]
    public static let imagenetStd: [Float] = [0.229, 0.224, 0.225]
    /// The IMAGENET1K_V1 weights of all six architectures.
    public static let imagenetV1 = ClassificationPreset(resizeSize: 256, cropSize: 224)

    func validated() throws -> ClassificationPreset {
        guard resizeSize >= 1, cropSize >= 1, mean.count == 3, std.count == 3, std.allSatisfy({ $0 > 0 }) else {
            throw ModelError.malformedConfig("classification preset: resize_size and crop_size must be >= 1, mean and std 3 values (std > 0)")
        }
        return self
    }

    /// The network input [1, 3, crop, crop].
    public func input(_ image: RGBImage) throws -> Tensor {
        let size = SemanticResize.resizedSize(height: image.height, width: image.width, shortSide: resizeSize)
        let resized = size == (image.height, image.width) ? image : try SemanticResize.antialiasedBilinear(image, to: size)
        let cropped = try Self.centerCrop(resized, size: cropSize)
        return Tensor(shape: [1, 3, cropSize, cropSize],
                      storage: toCHWFloat(cropped, divisor: 255, mean: mean, std: std, split: EngineSplit.pixels))
    }

    /// torchvision's `center_crop` to size x size: zero padding first where the image is smaller (left/top get
    /// the floor half), then the window at round((h - size) / 2), round((w - size) / 2) (Python's round: half to even).
    public static func centerCrop(_ image: RGBImage, size: Int) throws -> RGBImage {
        let (h, w) = (image.height, image.width)
        let padTop = h < size ? (size - h) / 2 : 0, padLeft = w < size ? (size - w) / 2 : 0
        let paddedH = max(h, size), paddedW = max(w, size)
        func offset(_ extent: Int) -> Int { Int((Double(extent - size) / 2).rounded(.toNearestOrEven)) }
        let top = offset(paddedH) - padTop, left = offset(paddedW) - padLeft
        var out = [UInt8](repeating: 0, count: size * size * 3)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<size {
                    let sy = y + top
                    guard sy >= 0, sy < h else { continue }
                    let x0 = max(0, -left), x1 = min(size, w - left)
                    guard x1 > x0 else { continue }
                    let s = src.baseAddress! + (sy * w + x0 + left) * 3, d = dst.baseAddress! + (y * size + x0) * 3
                    d.update(from: s, count: (x1 - x0) * 3)
                }
            }
        }
        return try RGBImage(width: size, height: size, pixels: out)
    }
}
