/// The EXIF orientation tag (0x0112): how the stored pixels must be turned to display upright.
public enum ExifOrientation: Int, Sendable, CaseIterable {
    /// 1: stored upright (no change).
    case up = 1
    /// 2: mirrored left-right.
    case upMirrored = 2
    /// 3: rotated 180 degrees.
    case down = 3
    /// 4: mirrored top-bottom.
    case downMirrored = 4
    /// 5: transposed (mirror across the main diagonal).
    case leftMirrored = 5
    /// 6: needs a 90 degree clockwise rotation.
    case right = 6
    /// 7: transversed (mirror across the anti-diagonal).
    case rightMirrored = 7
    /// 8: needs a 90 degree counter-clockwise rotation.
    case left = 8

    /// Whether applying this orientation swaps width and height.
    public var swapsDimensions: Bool { rawValue >= 5 }
}

/// Reads the orientation tag from a TIFF structure (the body of an Exif APP1 segment or a
/// PNG eXIf chunk). Both byte orders; every offset is bounds-checked; nil when absent or invalid.
func exifOrientation(tiff: ArraySlice<UInt8>) -> ExifOrientation? {
    let reader = ByteReader(tiff)
    guard reader.count >= 8 else { return nil }
    let bigEndian: Bool
    switch (reader.u8(0), reader.u8(1)) {
    case (0x49, 0x49): bigEndian = false  // "II"
    case (0x4D, 0x4D): bigEndian = true   // "MM"
    default: return nil
    }
    guard reader.u16(2, bigEndian: bigEndian) == 42,
          let ifd = reader.u32(4, bigEndian: bigEndian).map(Int.init),
          let entries = reader.u16(ifd, bigEndian: bigEndian).map(Int.init) else { return nil }
    for index in 0 ..< entries {
        let entry = ifd + 2 + index * 12
        guard let tag = reader.u16(entry, bigEndian: bigEndian),
              let type = reader.u16(entry + 2, bigEndian: bigEndian),
              let count = reader.u32(entry + 4, bigEndian: bigEndian) else { return nil }
        guard tag == 0x0112 else { continue }
        guard count >= 1 else { return nil }
        let value: Int?
        switch type {
        case 3: value = reader.u16(entry + 8, bigEndian: bigEndian).map(Int.init)  // SHORT
        case 4: value = reader.u32(entry + 8, bigEndian: bigEndian).map(Int.init)  // LONG (lenient)
        default: value = nil
        }
        return value.flatMap(ExifOrientation.init(rawValue:))
    }
    return nil
}

/// Finds the first Exif APP1 segment of a JPEG (before the first scan) and reads its orientation.
func jpegExifOrientation(_ bytes: [UInt8]) -> ExifOrientation? {
    var found: ExifOrientation?
    walkJPEGSegments(bytes) { marker, body in
        guard marker == 0xE1 else { return true }
        let exifHeader: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]  // "Exif\0\0"
        guard body.count >= 6, body.prefix(6).elementsEqual(exifHeader) else { return true }
        found = exifOrientation(tiff: body.dropFirst(6))
        return false  // only the first Exif segment counts
    }
    return found
}

/// Finds a PNG eXIf chunk and reads its orientation.
func pngExifOrientation(_ bytes: [UInt8]) -> ExifOrientation? {
    var found: ExifOrientation?
    walkPNGChunks(bytes) { type, body in
        guard type == "eXIf" else { return type != "IEND" }
        found = exifOrientation(tiff: body)
        return false
    }
    return found
}
