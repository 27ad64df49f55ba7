import ArgusMask
@testable import ArgusImage

/// First line: `height width` (as text, up to 4096 each); the rest: a compressed RLE counts string.
/// What parses must re-encode to counts that parse to the same runs.
func fuzzRLE(_ bytes: [UInt8]) {
    let (sizeLine, counts) = splitFirstLine(bytes)
    let numbers = sizeLine.split(separator: " ").compactMap { Int($0) }
    let height = numbers.count > 0 ? numbers[0] : 0, width = numbers.count > 1 ? numbers[1] : 0
    // The sizes also take hostile values (negative, overflowing): only huge *valid* sizes are cut down.
    let h = height > 4096 ? height % 4096 : height, w = width > 4096 ? width % 4096 : width
    guard let rle = try? RLE(compressedBytes: counts, height: h, width: w) else { return }
    let again = try? RLE(compressedBytes: rle.compressedCountsBytes, height: h, width: w)
    require(again?.counts == rle.counts, "RLE counts change through compressedCountsBytes")
}

/// JPEG / PNG bytes end to end: header, decode (64K-pixel limit), EXIF orientation from both containers.
func fuzzImage(_ bytes: [UInt8]) {
    _ = jpegExifOrientation(bytes)
    _ = pngExifOrientation(bytes)
    guard let header = try? readImageHeader(bytes) else { return }
    guard let decoded = try? decodeImage(bytes, maxPixels: 256 * 256) else { return }
    let image = decoded.image
    require(image.pixels.count == image.width * image.height * 3, "pixel buffer size")
    let (w, h) = decoded.appliedOrientation.swapsDimensions ? (image.height, image.width) : (image.width, image.height)
    require(w == header.storedWidth && h == header.storedHeight,
            "decoded \(w)x\(h) (before orientation) but the header says \(header.storedWidth)x\(header.storedHeight)")
}
