import CCodecs

/// What an image's header says, read without decoding pixels.
public struct ImageHeader: Sendable, Equatable {
    /// The container format.
    public let format: ImageFormat
    /// Width of the stored pixel grid (before EXIF orientation).
    public let storedWidth: Int
    /// Height of the stored pixel grid (before EXIF orientation).
    public let storedHeight: Int
    /// The EXIF orientation tag, if the file has a valid one.
    public let orientation: ExifOrientation?

    /// Width after applying the orientation (what `decodeImage` returns by default).
    public var width: Int { orientation?.swapsDimensions == true ? storedHeight : storedWidth }
    /// Height after applying the orientation.
    public var height: Int { orientation?.swapsDimensions == true ? storedWidth : storedHeight }
}

/// Reads format, dimensions and EXIF orientation from the header only.
public func readImageHeader(_ bytes: [UInt8]) throws -> ImageHeader {
    let (format, info) = try readCodecInfo(bytes)
    let orientation = format == .jpeg ? jpegExifOrientation(bytes) : pngExifOrientation(bytes)
    return ImageHeader(format: format, storedWidth: Int(info.width), storedHeight: Int(info.height),
                       orientation: orientation)
}

/// The (width, height) `decodeImage` would return (EXIF orientation applied), from the header only.
public func imageDimensions(_ bytes: [UInt8]) throws -> (width: Int, height: Int) {
    let header = try readImageHeader(bytes)
    return (header.width, header.height)
}

/// Sniffs the format and asks the codec library for the header.
func readCodecInfo(_ bytes: [UInt8]) throws -> (ImageFormat, cc_image_info) {
    guard !bytes.isEmpty else { throw ImageError.empty }
    let format = ImageFormat.sniff(bytes)
    var info = cc_image_info()
    var status = CodecStatus()
    let code: Int32 = bytes.withUnsafeBufferPointer { input in
        switch format {
        case .jpeg: return cc_jpeg_read_info(input.baseAddress, input.count, &info, &status.raw)
        case .png: return cc_png_read_info(input.baseAddress, input.count, &info, &status.raw)
        case .other: return -1
        }
    }
    if code == -1 { throw ImageError.unsupportedFormat }
    guard code == Int32(CC_OK.rawValue) else { throw status.error(context: format.rawValue.uppercased()) }
    guard info.width > 0, info.height > 0 else { throw ImageError.corrupt("image has zero width or height") }
    return (format, info)
}
