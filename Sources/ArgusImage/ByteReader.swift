/// Bounds-checked reads of fixed-width integers from untrusted bytes; out of range gives nil.
struct ByteReader {
    let bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    var count: Int { bytes.count }

    func u8(_ offset: Int) -> UInt8? {
        guard offset >= 0, offset < bytes.count else { return nil }
        return bytes[bytes.startIndex + offset]
    }

    func u16(_ offset: Int, bigEndian: Bool) -> UInt16? {
        guard offset >= 0, offset <= bytes.count - 2 else { return nil }
        let a = UInt16(bytes[bytes.startIndex + offset]), b = UInt16(bytes[bytes.startIndex + offset + 1])
        return bigEndian ? (a << 8 | b) : (b << 8 | a)
    }

    func u32(_ offset: Int, bigEndian: Bool) -> UInt32? {
        guard let hi = u16(offset, bigEndian: bigEndian),
              let lo = u16(offset + 2, bigEndian: bigEndian) else { return nil }
        return bigEndian ? (UInt32(hi) << 16 | UInt32(lo)) : (UInt32(lo) << 16 | UInt32(hi))
    }
}
