/// A binary mask as COCO run-length encoding: runs over the column-major (Fortran-order)
/// flattening, alternating zeros and ones, starting with a (possibly empty) run of zeros.
public struct RLE: Equatable, Sendable {
    /// Mask height in pixels (rows).
    public let height: Int
    /// Mask width in pixels (columns).
    public let width: Int
    /// Run lengths; even indices count zeros, odd indices count ones.
    public var counts: [UInt32]

    /// Wraps run lengths as they are, like pycocotools does for uncompressed RLE.
    public init(height: Int, width: Int, counts: [UInt32]) {
        self.height = height
        self.width = width
        self.counts = counts
    }

    /// Wraps run lengths after checking they are a valid RLE of an `height`×`width` mask.
    public init(validatingHeight height: Int, width: Int, counts: [Int]) throws {
        guard height >= 0, width >= 0, height.multipliedReportingOverflow(by: width).partialValue <= Int(UInt32.max),
              !height.multipliedReportingOverflow(by: width).overflow else {
            throw MaskError.badSize(height: height, width: width)
        }
        var total = 0
        var out = [UInt32]()
        out.reserveCapacity(counts.count)
        for c in counts {
            guard c >= 0, c <= Int(UInt32.max) else { throw MaskError.badRuns("negative or too large run length \(c)") }
            total += c
            out.append(UInt32(c))
        }
        guard total == height * width else {
            throw MaskError.badRuns("runs add up to \(total) pixels, but the mask is \(height)x\(width) = \(height * width)")
        }
        self.init(height: height, width: width, counts: out)
    }

    /// Number of pixels in the mask.
    public var pixelCount: Int { height * width }

    /// Number of set pixels (pycocotools `area`).
    public var area: Int {
        var a = 0
        var j = 1
        while j < counts.count { a += Int(counts[j]); j += 2 }
        return a
    }

    /// Encodes a column-major mask (`mask[x * height + y]`, nonzero = set), like `rleEncode`.
    public init(columnMajor mask: UnsafeBufferPointer<UInt8>, height: Int, width: Int) {
        precondition(mask.count == height * width, "mask size does not match height*width")
        var runs = [UInt32]()
        var current: UInt8 = 0
        var run: UInt32 = 0
        for v in mask {
            let b: UInt8 = v != 0 ? 1 : 0
            if b != current { runs.append(run); run = 0; current = b }
            run += 1
        }
        runs.append(run)
        self.init(height: height, width: width, counts: runs)
    }

    /// Encodes a column-major mask held in an array.
    public init(columnMajor mask: [UInt8], height: Int, width: Int) {
        self = mask.withUnsafeBufferPointer { RLE(columnMajor: $0, height: height, width: width) }
    }

    /// Encodes a row-major mask (`mask[y * width + x]`, nonzero = set).
    public init(rowMajor mask: [UInt8], height: Int, width: Int) {
        precondition(mask.count == height * width, "mask size does not match height*width")
        var col = [UInt8](repeating: 0, count: height * width)
        for y in 0..<height { for x in 0..<width { col[x * height + y] = mask[y * width + x] } }
        self.init(columnMajor: col, height: height, width: width)
    }

    /// Decodes to a column-major 0/1 mask, like `rleDecode` (runs past `height*width` are dropped).
    public func decodeColumnMajor() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: pixelCount)
        var p = 0
        var v: UInt8 = 0
        for c in counts {
            let end = min(p + Int(c), out.count)
            if v == 1 && p < end { for i in p..<end { out[i] = 1 } }
            p += Int(c)
            v ^= 1
        }
        return out
    }

    /// Decodes to a row-major 0/1 mask.
    public func decodeRowMajor() -> [UInt8] {
        let col = decodeColumnMajor()
        var out = [UInt8](repeating: 0, count: pixelCount)
        for x in 0..<width { for y in 0..<height { out[y * width + x] = col[x * height + y] } }
        return out
    }
}

/// Errors from mask parsing and construction.
public enum MaskError: Error, Equatable, CustomStringConvertible {
    /// A compressed counts string holds a character outside '0'...'o' or ends mid-number.
    case badString(String)
    /// Run lengths are negative, too large, or do not add up to the mask size.
    case badRuns(String)
    /// Height or width is negative or their product does not fit 32 bits.
    case badSize(height: Int, width: Int)
    /// A polygon has a non-finite or out-of-range coordinate, or too few numbers.
    case badPolygon(String)

    public var description: String {
        switch self {
        case .badString(let s): return "malformed RLE counts string: \(s)"
        case .badRuns(let s): return "malformed RLE runs: \(s)"
        case .badSize(let h, let w): return "invalid mask size \(h)x\(w)"
        case .badPolygon(let s): return "malformed polygon: \(s)"
        }
    }
}
