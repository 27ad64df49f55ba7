import CZlib

/// zlib wrappers for zip entries: raw deflate and CRC-32.
enum Zlib {
    /// zlib takes 32-bit lengths; larger buffers go through in pieces of this size.
    private static let chunk = 1 << 30
    /// Output is produced through a window of this size, so memory follows what the stream
    /// really inflates to, not what a (possibly lying) header declares.
    private static let window = 1 << 20

    /// Inflates a raw deflate stream (zip method 8) that must produce exactly `size` bytes.
    static func inflateRaw(_ input: ArraySlice<UInt8>, size: Int, name: String) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw WeightsError.corrupt("cannot start inflating \(name)")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        output.reserveCapacity(min(size, input.count * 8 + window))
        var buffer = [UInt8](repeating: 0, count: window)
        var status: Int32 = Z_OK
        input.withUnsafeBytes { inBuf in
            var inPos = 0
            while status == Z_OK && output.count <= size {
                let inCount = min(chunk, inBuf.count - inPos)
                stream.next_in = UnsafeMutablePointer(
                    mutating: inBuf.baseAddress?.advanced(by: inPos).assumingMemoryBound(to: Bytef.self))
                stream.avail_in = uInt(inCount)
                let produced: Int = buffer.withUnsafeMutableBytes { outBuf in
                    stream.next_out = outBuf.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = uInt(window)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return window - Int(stream.avail_out)
                }
                let consumed = inCount - Int(stream.avail_in)
                inPos += consumed
                output.append(contentsOf: buffer[0..<produced])
                if status == Z_OK && consumed == 0 && produced == 0 { status = Z_BUF_ERROR }
            }
        }
        guard status == Z_STREAM_END, output.count == size else {
            throw WeightsError.corrupt("deflated entry \(name) does not inflate to its declared \(size) bytes (zlib status \(status))")
        }
        return output
    }

    /// The CRC-32 that zip stores for each entry.
    static func crc32(_ data: ArraySlice<UInt8>) -> UInt32 {
        data.withUnsafeBytes { buf -> UInt32 in
            var crc: uLong = CZlib.crc32(0, nil, 0)
            var pos = 0
            while pos < buf.count {
                let n = min(chunk, buf.count - pos)
                crc = CZlib.crc32(crc, buf.baseAddress!.advanced(by: pos).assumingMemoryBound(to: Bytef.self), uInt(n))
                pos += n
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }
}
