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

    /// The network input [1, 3, crop, crop]. Only the resized pixels the crop keeps are computed.
    public func input(_ image: RGBImage) throws -> Tensor {
        let size = SemanticResize.resizedSize(height: image.height, width: image.width, shortSide: resizeSize)
        let cropped: RGBImage
        if size == (image.height, image.width) {
            cropped = try Self.centerCrop(image, size: cropSize)
        } else {
            let window = Self.CropWindow(height: size.0, width: size.1, size: cropSize)
            let kept = try SemanticResize.antialiasedBilinear(image, to: size, rows: window.rows, columns: window.columns)
            cropped = try window.placed(kept)
        }
        return Tensor(shape: [1, 3, cropSize, cropSize],
                      storage: toCHWFloat(cropped, divisor: 255, mean: mean, std: std, split: EngineSplit.pixels))
    }

    /// torchvision's `center_crop` to size x size: zero padding first where the image is smaller (left/top get
    /// the floor half), then the window at round((h - size) / 2), round((w - size) / 2) (Python's round: half to even).
    public static func centerCrop(_ image: RGBImage, size: Int) throws -> RGBImage {
        let window = CropWindow(height: image.height, width: image.width, size: size)
        var kept = [UInt8](repeating: 0, count: window.rows.count * window.columns.count * 3)
        image.pixels.withUnsafeBufferPointer { src in
            kept.withUnsafeMutableBufferPointer { dst in
                let rowBytes = window.columns.count * 3
                for (i, y) in window.rows.enumerated() {
                    (dst.baseAddress! + i * rowBytes).update(from: src.baseAddress! + (y * image.width + window.columns.lowerBound) * 3,
                                                             count: rowBytes)
                }
            }
        }
        return try window.placed(try RGBImage(width: window.columns.count, height: window.rows.count, pixels: kept))
    }

    /// The rows and columns of an h x w image that a center crop to size x size keeps, and where the first of
    /// them lands in the crop (past the zero padding of an image smaller than the crop).
    struct CropWindow {
        let size: Int
        let rows: Range<Int>, columns: Range<Int>
        let top: Int, left: Int

        init(height h: Int, width w: Int, size: Int) {
            let padTop = h < size ? (size - h) / 2 : 0, padLeft = w < size ? (size - w) / 2 : 0
            func offset(_ extent: Int) -> Int { Int((Double(extent - size) / 2).rounded(.toNearestOrEven)) }
            let y0 = offset(max(h, size)) - padTop, x0 = offset(max(w, size)) - padLeft
            rows = max(0, y0) ..< min(h, y0 + size)
            columns = max(0, x0) ..< min(w, x0 + size)
            top = rows.lowerBound - y0; left = columns.lowerBound - x0
            self.size = size
        }

        /// The crop with `kept` (rows x columns) in place and zeros around it.
        func placed(_ kept: RGBImage) throws -> RGBImage {
            if kept.width == size, kept.height == size { return kept }
            var out = [UInt8](repeating: 0, count: size * size * 3)
            let rowBytes = kept.width * 3
            kept.pixels.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for y in 0..<kept.height {
                        (dst.baseAddress! + ((y + top) * size + left) * 3).update(from: src.baseAddress! + y * rowBytes, count: rowBytes)
                    }
                }
            }
            return try RGBImage(width: size, height: size, pixels: out)
        }
    }
}
