// pycocotools' compressed counts string (`rleToString` / `rleFrString`): each run, after the
// third, is stored as the difference to the run two places earlier, in LEB128-like 5-bit groups
// offset to printable ASCII 48...111.

extension RLE {
    /// The compressed counts string, byte-identical to pycocotools `mask.encode(...)['counts']`.
    public var compressedCounts: String {
        String(decoding: compressedCountsBytes, as: UTF8.self)
    }

    /// The compressed counts string as ASCII bytes.
    public var compressedCountsBytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(counts.count * 2)
        for i in 0..<counts.count {
            var x = Int64(counts[i])
            if i > 2 { x -= Int64(counts[i - 2]) }
            var more = true
            while more {
                var c = UInt8(truncatingIfNeeded: x & 0x1f)
                x >>= 5
                more = (c & 0x10) != 0 ? x != -1 : x != 0
                if more { c |= 0x20 }
                out.append(c + 48)
            }
        }
        return out
    }

    /// Parses a compressed counts string; checks the characters and that the runs cover exactly `height*width` pixels.
    public init(compressed s: String, height: Int, width: Int) throws {
        var s = s
        self = try s.withUTF8 { try RLE(compressedBytes: $0, height: height, width: width) }
    }

    /// Parses compressed counts given as ASCII bytes (see `init(compressed:height:width:)`).
    public init(compressedBytes s: UnsafeBufferPointer<UInt8>, height: Int, width: Int) throws {
        guard height >= 0, width >= 0, !height.multipliedReportingOverflow(by: width).overflow,
              height * width <= Int(UInt32.max) else { throw MaskError.badSize(height: height, width: width) }
        var cnts = [UInt32]()
        cnts.reserveCapacity(s.count / 2 + 1)
        var p = 0
        var total = 0
        while p < s.count {
            var x: Int64 = 0
            var k: Int64 = 0
            var more = true
            while more {
                guard p < s.count else { throw MaskError.badString("ends in the middle of a number") }
                let ch = s[p]
                guard ch >= 48, ch <= 111 else {
                    throw MaskError.badString("character \(ch < 128 ? "'\(Character(Unicode.Scalar(ch)))'" : "0x\(String(ch, radix: 16))") at offset \(p) is outside '0'...'o'")
                }
                guard k < 12 else { throw MaskError.badString("a number at offset \(p) is too long") }
                let c = Int64(ch - 48)
                x |= (c & 0x1f) << (5 * k)
                more = (c & 0x20) != 0
                p += 1
                k += 1
                if !more && (c & 0x10) != 0 { x |= -1 << (5 * k) }
            }
            if cnts.count > 2 { x += Int64(cnts[cnts.count - 2]) }
            guard x >= 0, x <= Int64(UInt32.max) else {
                throw MaskError.badString("run \(cnts.count) decodes to \(x), which is not a pixel count")
            }
            total += Int(x)
            cnts.append(UInt32(x))
        }
        guard total == height * width else {
            throw MaskError.badRuns("runs add up to \(total) pixels, but the mask is \(height)x\(width) = \(height * width)")
        }
        self.init(height: height, width: width, counts: cnts)
    }

    /// Parses compressed counts given as an ASCII byte array.
    public init(compressedBytes s: [UInt8], height: Int, width: Int) throws {
        self = try s.withUnsafeBufferPointer { try RLE(compressedBytes: $0, height: height, width: width) }
    }
}
