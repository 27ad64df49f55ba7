import CCodecs

/// Default pixel limit for decoding (40 megapixels), a guard against decompression bombs.
public let defaultMaxPixels = 40_000_000

/// A decoded image plus what was done and noticed while decoding it.
public struct DecodedImage: Sendable {
    /// The RGB pixels, EXIF orientation applied if requested.
    public var image: RGBImage
    /// The container format that was decoded.
    public let format: ImageFormat
    /// The orientation that was applied (`.up` when the file has none or it was not applied).
    public let appliedOrientation: ExifOrientation
    /// Non-fatal codec warnings (e.g. libjpeg's "Premature end of JPEG file").
    public let warningCount: Int
    /// The first warning's text, if any.
    public let firstWarning: String?
}

/// Decodes JPEG or PNG bytes into RGB8 the way `cv2.imread(path, IMREAD_COLOR)` does
/// (then BGR->RGB): same libjpeg settings, alpha dropped, 16-bit reduced by `>> 8`, EXIF
/// orientation applied. Unlike cv2.imread, which decodes them with a warning, data that ends before the image
/// does is `ImageError.truncated` and a JPEG whose entropy-coded data is damaged is `ImageError.corrupt`:
/// a half-grey frame gives silently wrong detections. `allowTruncated` accepts those JPEGs as cv2 does
/// (libjpeg fills the missing or damaged blocks; the warning is counted in `warningCount`). A truncated
/// PNG is an error either way, as in cv2 (libpng cannot resume). The pixel limit is checked from the
/// header before the image is allocated.
public func decodeImage(_ bytes: [UInt8], maxPixels: Int = defaultMaxPixels,
                        applyExifOrientation: Bool = true, allowTruncated: Bool = false) throws -> DecodedImage {
    let (format, info) = try readCodecInfo(bytes)
    let width = Int(info.width), height = Int(info.height)
    let limit = max(0, maxPixels)
    guard width * height <= limit else { throw ImageError.tooLarge(width: width, height: height, limit: limit) }

    var status = CodecStatus()
    var code: Int32 = Int32(CC_OK.rawValue)
    let pixels = bytes.withUnsafeBufferPointer { input in
        makeBytes(count: width * height * 3) { out in
            switch format {
            case .jpeg:
                code = cc_jpeg_decode_rgb(input.baseAddress, input.count, info.width, info.height,
                                          UInt64(limit), out.baseAddress, out.count, &status.raw)
            default:
                code = cc_png_decode_rgb(input.baseAddress, input.count, info.width, info.height,
                                         UInt64(limit), out.baseAddress, out.count, &status.raw)
            }
        }
    }
    guard code == Int32(CC_OK.rawValue) else {
        if code == Int32(CC_TOO_LARGE.rawValue) { throw ImageError.tooLarge(width: width, height: height, limit: limit) }
        throw status.error(context: format.rawValue.uppercased())
    }
    if !allowTruncated, let defect = status.defectError(context: format.rawValue.uppercased()) { throw defect }
    var image = RGBImage(uncheckedWidth: width, height: height, pixels: pixels)
    var applied = ExifOrientation.up
    if applyExifOrientation {
        let tag = format == .jpeg ? jpegExifOrientation(bytes) : pngExifOrientation(bytes)
        if let tag, tag != .up {
            image = applyOrientation(image, tag)
            applied = tag
        }
    }
    return DecodedImage(image: image, format: format, appliedOrientation: applied,
                        warningCount: status.warningCount, firstWarning: status.firstWarning)
}
