import CCodecs

/// Encodes an RGB image as an 8-bit RGB PNG.
public func encodePNG(_ image: RGBImage, compressionLevel: Int = 6) throws -> [UInt8] {
    try image.pixels.withUnsafeBufferPointer { pixels in
        try runPNGEncoder(pixels, width: image.width, height: image.height, kind: CC_PNG_RGB,
                          palette: [], compressionLevel: compressionLevel)
    }
}

/// Encodes one byte per pixel as an 8-bit grayscale PNG, or, with a palette, as an indexed
/// PNG whose values index `palette` (label maps). Indices past the palette's end are refused.
public func encodePNG(gray: [UInt8], width: Int, height: Int,
                      palette: [(UInt8, UInt8, UInt8)]? = nil, compressionLevel: Int = 6) throws -> [UInt8] {
    guard width > 0, height > 0, width.multipliedReportingOverflow(by: height).overflow == false,
          gray.count == width * height else {
        throw ImageError.invalidArgument("gray PNG \(width)x\(height) needs \(width)x\(height) bytes, got \(gray.count)")
    }
    var flatPalette: [UInt8] = []
    if let palette {
        guard (1 ... 256).contains(palette.count) else {
            throw ImageError.invalidArgument("PNG palette must have 1...256 entries, got \(palette.count)")
        }
        if let maxIndex = gray.max(), Int(maxIndex) >= palette.count {
            throw ImageError.invalidArgument("pixel value \(maxIndex) is outside the \(palette.count)-entry palette")
        }
        flatPalette.reserveCapacity(palette.count * 3)
        for (r, g, b) in palette { flatPalette += [r, g, b] }
    }
    return try gray.withUnsafeBufferPointer { pixels in
        try runPNGEncoder(pixels, width: width, height: height,
                          kind: palette == nil ? CC_PNG_GRAY : CC_PNG_PALETTE,
                          palette: flatPalette, compressionLevel: compressionLevel)
    }
}

/// Encodes an RGB image as a baseline JPEG (4:2:0) with libjpeg's quality scale 1...100.
public func encodeJPEG(_ image: RGBImage, quality: Int = 95) throws -> [UInt8] {
    guard (1 ... 100).contains(quality) else { throw ImageError.invalidArgument("JPEG quality must be 1...100, got \(quality)") }
    guard image.width <= 65500, image.height <= 65500 else {
        throw ImageError.invalidArgument("JPEG dimensions are limited to 65500, got \(image.width)x\(image.height)")
    }
    var status = CodecStatus()
    var out: UnsafeMutablePointer<UInt8>?
    var size = 0
    let code = image.pixels.withUnsafeBufferPointer { pixels in
        cc_jpeg_encode_rgb(pixels.baseAddress, UInt32(image.width), UInt32(image.height), Int32(quality),
                           &out, &size, &status.raw)
    }
    return try takeEncoded(code: code, out: out, size: size, status: status, context: "JPEG encoder")
}

private func runPNGEncoder(_ pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, kind: cc_png_kind,
                           palette: [UInt8], compressionLevel: Int) throws -> [UInt8] {
    guard (0 ... 9).contains(compressionLevel) else {
        throw ImageError.invalidArgument("PNG compression level must be 0...9, got \(compressionLevel)")
    }
    guard width <= Int(Int32.max), height <= Int(Int32.max) else {
        throw ImageError.invalidArgument("PNG dimensions too large: \(width)x\(height)")
    }
    var status = CodecStatus()
    var out: UnsafeMutablePointer<UInt8>?
    var size = 0
    let code = palette.withUnsafeBufferPointer { pal in
        cc_png_encode(pixels.baseAddress, UInt32(width), UInt32(height), Int32(kind.rawValue),
                      pal.baseAddress, Int32(palette.count / 3), Int32(compressionLevel), &out, &size, &status.raw)
    }
    return try takeEncoded(code: code, out: out, size: size, status: status, context: "PNG encoder")
}

/// Copies a C-allocated output into a Swift array and frees it.
private func takeEncoded(code: Int32, out: UnsafeMutablePointer<UInt8>?, size: Int,
                         status: CodecStatus, context: String) throws -> [UInt8] {
    defer { cc_free(out) }
    guard code == Int32(CC_OK.rawValue), let out else { throw status.error(context: context) }
    return Array(UnsafeBufferPointer(start: out, count: size))
}
