/// An 8-bit RGB image stored row-major with interleaved channels (HWC: r, g, b, r, g, b, ...).
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height * 3` bytes, row after row, RGB interleaved.
    public var pixels: [UInt8]

    /// Wraps existing pixels; throws if the count is not `width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max),
              width.multipliedReportingOverflow(by: height).overflow == false,
              pixels.count == width * height * 3 else {
            throw ImageError.invalidArgument(
                "RGBImage \(width)x\(height) needs \(width)x\(height)x3 bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image filled with one color.
    public init(width: Int, height: Int, fill color: (UInt8, UInt8, UInt8)) {
        precondition(width > 0 && height > 0, "RGBImage dimensions must be positive")
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        pixels.withUnsafeMutableBufferPointer { out in
            var i = 0
            while i < out.count {
                out[i] = color.0; out[i + 1] = color.1; out[i + 2] = color.2
                i += 3
            }
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Internal: the caller guarantees `pixels.count == width * height * 3`.
    init(uncheckedWidth width: Int, height: Int, pixels: [UInt8]) {
        assert(pixels.count == width * height * 3)
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The (r, g, b) value at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }
}

/// Allocates `count` bytes and lets `body` fill all of them (no zero-fill pass).
@inline(__always)
func makeBytes(count: Int, _ body: (UnsafeMutableBufferPointer<UInt8>) throws -> Void) rethrows -> [UInt8] {
    try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        try body(buffer)
        initialized = count
    }
}
