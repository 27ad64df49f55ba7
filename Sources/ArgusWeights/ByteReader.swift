/// A bounds-checked little-endian cursor over bytes: every read past the end is a thrown
/// `WeightsError.truncated`, never a trap, so hostile lengths cannot crash the reader.
struct ByteReader {
    let bytes: ArraySlice<UInt8>
    /// Absolute index into `bytes` (slices keep their parent's indices).
    var position: Int
    /// Names the structure being read, for error messages.
    let context: String

    init(_ bytes: ArraySlice<UInt8>, context: String) {
        self.bytes = bytes
        self.position = bytes.startIndex
        self.context = context
    }

    var remaining: Int { bytes.endIndex - position }
    var isAtEnd: Bool { position >= bytes.endIndex }
    /// Offset from the start of the data, for messages.
    var offset: Int { position - bytes.startIndex }

    private func need(_ count: Int) throws {
        guard count >= 0, count <= remaining else {
            throw WeightsError.truncated("\(context): needs \(count) bytes at offset \(offset), \(remaining) left")
        }
    }

    mutating func u8() throws -> UInt8 {
        try need(1)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() throws -> UInt16 { UInt16(truncatingIfNeeded: try uint(2)) }
    mutating func u32() throws -> UInt32 { UInt32(truncatingIfNeeded: try uint(4)) }
    mutating func u64() throws -> UInt64 { try uint(8) }

    /// A little-endian unsigned integer of `width` bytes (at most 8).
    mutating func uint(_ width: Int) throws -> UInt64 {
        try need(width)
        var value: UInt64 = 0
        for i in 0..<width { value |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += width
        return value
    }

    /// The next `count` bytes, sharing storage with the input.
    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        try need(count)
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    /// A declared length read from the data, checked against what is left before anyone allocates.
    mutating func take(declared count: UInt64) throws -> ArraySlice<UInt8> {
        guard count <= UInt64(remaining) else {
            throw WeightsError.truncated("\(context): declares \(count) bytes at offset \(offset), \(remaining) left")
        }
        return try take(Int(count))
    }

    /// Bytes up to (not including) the next newline, which is consumed.
    mutating func line() throws -> ArraySlice<UInt8> {
        guard let nl = bytes[position...].firstIndex(of: 0x0A) else {
            throw WeightsError.truncated("\(context): missing end of line at offset \(offset)")
        }
        defer { position = nl + 1 }
        return bytes[position..<nl]
    }

    mutating func skip(_ count: Int) throws {
        try need(count)
        position += count
    }
}

extension ArraySlice where Element == UInt8 {
    /// Little-endian unsigned integer at `offset` bytes from the start, or nil if out of range.
    func littleEndian(at offset: Int, width: Int) -> UInt64? {
        guard offset >= 0, width <= 8, offset <= count - width else { return nil }
        var value: UInt64 = 0
        let base = startIndex + offset
        for i in 0..<width { value |= UInt64(self[base + i]) << (8 * UInt64(i)) }
        return value
    }
}
