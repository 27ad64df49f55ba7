/// Why an image could not be decoded, encoded or processed.
public enum ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input has no bytes.
    case empty
    /// The bytes are neither JPEG nor PNG.
    case unsupportedFormat
    /// The codec rejected the data (bad CRC, invalid marker, damaged entropy-coded data, ...).
    case corrupt(String)
    /// The data ends before the image does (a cut upload or a dropped packet).
    case truncated(String)
    /// The header declares more pixels than allowed (checked before allocating).
    case tooLarge(width: Int, height: Int, limit: Int)
    /// A color space Argus does not convert to RGB.
    case unsupportedColorSpace(String)
    /// A caller-side mistake: bad dimensions, buffer sizes, quality, palette.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .empty: return "image data is empty"
        case .unsupportedFormat: return "unsupported image format (expected JPEG or PNG)"
        case .corrupt(let why): return "corrupt image: \(why)"
        case .truncated(let why): return "truncated image: \(why)"
        case let .tooLarge(width, height, limit):
            return "image is \(width)x\(height) = \(width * height) pixels, above the limit of \(limit)"
        case .unsupportedColorSpace(let why): return "unsupported color space: \(why)"
        case .invalidArgument(let why): return "invalid argument: \(why)"
        }
    }
}
