import CCodecs

/// Encodes a label map as an indexed PNG (colour type 3 with a PLTE chunk): the stored pixel
/// values are the class indices (PIL opens it in mode "P"), and viewers show the palette colours.
/// Throws when an index has no palette entry or the palette is not 1...256 colours.
public func encodeIndexedPNG(indices: [UInt8], width: Int, height: Int, palette: [RGBColor],
                             compressionLevel: Int = 6) throws -> [UInt8] {
    try encodePNG(gray: indices, width: width, height: height, palette: palette.map { ($0.r, $0.g, $0.b) },
                  compressionLevel: compressionLevel)
}

/// Encodes a panoptic segment-id map in the COCO panoptic format: an RGB PNG with
/// `id = R + 256 * G + 256^2 * B`. Ids must fit 24 bits.
public func encodePanopticPNG(segmentIds: [UInt32], width: Int, height: Int, compressionLevel: Int = 6) throws -> [UInt8] {
    guard width > 0, height > 0, width.multipliedReportingOverflow(by: height).overflow == false,
          segmentIds.count == width * height else {
        throw ImageError.invalidArgument("panoptic PNG \(width)x\(height) needs \(width)x\(height) ids, got \(segmentIds.count)")
    }
    var rgb = [UInt8](repeating: 0, count: segmentIds.count * 3)
    for (i, id) in segmentIds.enumerated() {
        guard id < 1 << 24 else { throw ImageError.invalidArgument("segment id \(id) does not fit the 24 bits of an RGB pixel") }
        rgb[3 * i] = UInt8(id & 0xff)
        rgb[3 * i + 1] = UInt8((id >> 8) & 0xff)
        rgb[3 * i + 2] = UInt8(id >> 16)
    }
    return try encodePNG(try RGBImage(width: width, height: height, pixels: rgb), compressionLevel: compressionLevel)
}

/// Encodes a binary mask (row-major, one byte per pixel, nonzero = set) as a 1-bit grayscale PNG
/// (set pixels white). About 8x smaller than 8-bit gray before compression; decoders expand it to 0/255.
public func encodePNG(bits1 mask: [UInt8], width: Int, height: Int, compressionLevel: Int = 6) throws -> [UInt8] {
    guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max),
          width.multipliedReportingOverflow(by: height).overflow == false, mask.count == width * height else {
        throw ImageError.invalidArgument("1-bit PNG \(width)x\(height) needs \(width)x\(height) bytes, got \(mask.count)")
    }
    guard (0 ... 9).contains(compressionLevel) else {
        throw ImageError.invalidArgument("PNG compression level must be 0...9, got \(compressionLevel)")
    }
    var status = CodecStatus()
    var out: UnsafeMutablePointer<UInt8>?
    var size = 0
    let code = mask.withUnsafeBufferPointer { pixels in
        cc_png_encode_gray1(pixels.baseAddress, UInt32(width), UInt32(height), Int32(compressionLevel), &out, &size, &status.raw)
    }
    defer { cc_free(out) }
    guard code == Int32(CC_OK.rawValue), let out else { throw status.error(context: "PNG encoder") }
    return Array(UnsafeBufferPointer(start: out, count: size))
}
