/// Container formats Argus recognizes by their magic bytes.
public enum ImageFormat: String, Sendable, Equatable {
    case jpeg
    case png
    case other

    /// Identifies the format from the first bytes (JPEG: FF D8 FF, PNG: the 8-byte signature).
    public static func sniff(_ bytes: [UInt8]) -> ImageFormat {
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        if bytes.count >= 8, bytes[0 ..< 8].elementsEqual(pngSignature) { return .png }
        return .other
    }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
}
