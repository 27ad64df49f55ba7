/// A read-only view of a zip archive held in memory: the central directory (with ZIP64 records)
/// and each entry's bytes, stored entries without copying, deflated ones inflated through zlib.
struct ZipArchive {
    struct Entry {
        let name: String
        let method: UInt16
        let flags: UInt16
        let crc: UInt32
        let compressedSize: Int
        let size: Int
        let localHeaderOffset: Int
    }

    let bytes: ArraySlice<UInt8>
    /// Entries in central-directory order.
    let entries: [Entry]
    private let index: [String: Int]

    /// Deflate cannot expand data by more than about 1032:1; a larger claim is a lie.
    private static let maxDeflateRatio = 1032
    /// A true claim can still be a bomb: a megabyte of deflated zeros is a gigabyte in memory. torch.save stores
    /// entries uncompressed and float weights deflate by less than 2:1, so a deflated entry may inflate to at most
    /// `inflateAllowance` bytes or `maxWeightsRatio` times its compressed size, whichever is more.
    static let maxWeightsRatio = 64
    static let inflateAllowance = 16 << 20

    init(bytes: ArraySlice<UInt8>) throws {
        self.bytes = bytes
        let directory = try Self.findCentralDirectory(bytes)
        var entries: [Entry] = []
        var index: [String: Int] = [:]
        var reader = ByteReader(bytes, context: "zip central directory")
        try reader.skip(directory.offset)
        for _ in 0..<directory.count {
            let entry = try Self.readCentralEntry(&reader, fileSize: bytes.count)
            if index[entry.name] == nil { index[entry.name] = entries.count }
            entries.append(entry)
        }
        self.entries = entries
        self.index = index
    }

    func entry(named name: String) -> Entry? { index[name].map { entries[$0] } }

    /// The entry's uncompressed bytes, checked against its CRC-32.
    func data(of entry: Entry) throws -> ArraySlice<UInt8> {
        guard entry.flags & 1 == 0 else { throw WeightsError.unsupported("encrypted zip entry \(entry.name)") }
        let local = entry.localHeaderOffset
        guard let signature = bytes.littleEndian(at: local, width: 4),
              let nameLength = bytes.littleEndian(at: local + 26, width: 2),
              let extraLength = bytes.littleEndian(at: local + 28, width: 2) else {
            throw WeightsError.truncated("zip local header of \(entry.name) lies outside the file")
        }
        guard signature == 0x0403_4B50 else {
            throw WeightsError.corrupt("zip local header of \(entry.name) has a bad signature")
        }
        let start = local + 30 + Int(nameLength) + Int(extraLength)
        guard entry.compressedSize <= bytes.count - start else {
            throw WeightsError.truncated("zip entry \(entry.name) runs past the end of the file")
        }
        let raw = bytes[(bytes.startIndex + start)..<(bytes.startIndex + start + entry.compressedSize)]
        let data: ArraySlice<UInt8>
        switch entry.method {
        case 0:
            guard entry.size == entry.compressedSize else {
                throw WeightsError.corrupt("stored zip entry \(entry.name) has different sizes")
            }
            data = raw
        case 8:
            guard entry.size / Self.maxDeflateRatio <= entry.compressedSize + 1 else {
                throw WeightsError.corrupt("zip entry \(entry.name) claims an impossible \(entry.size) bytes")
            }
            guard entry.size <= max(Self.inflateAllowance, Self.maxWeightsRatio * entry.compressedSize) else {
                throw WeightsError.corrupt("zip entry \(entry.name) would inflate \(entry.compressedSize) bytes to \(entry.size) "
                                           + "(over \(Self.maxWeightsRatio):1): refused as a zip bomb; store the checkpoint "
                                           + "uncompressed, as torch.save does")
            }
            data = try Zlib.inflateRaw(raw, size: entry.size, name: entry.name)[...]
        default:
            throw WeightsError.unsupported("zip compression method \(entry.method) for \(entry.name)")
        }
        guard Zlib.crc32(data) == entry.crc else {
            throw WeightsError.corrupt("zip entry \(entry.name) fails its CRC-32 check")
        }
        return data
    }

    // MARK: - Central directory

    private static func findCentralDirectory(_ bytes: ArraySlice<UInt8>) throws -> (offset: Int, count: Int) {
        let eocdSize = 22
        guard bytes.count >= eocdSize else { throw WeightsError.truncated("too short for a zip archive") }
        // The end record sits at the end, possibly followed by a comment of up to 65535 bytes.
        let lowest = max(0, bytes.count - eocdSize - 0xFFFF)
        var eocd = -1
        var at = bytes.count - eocdSize
        while at >= lowest {
            if bytes.littleEndian(at: at, width: 4) == 0x0605_4B50 { eocd = at; break }
            at -= 1
        }
        guard eocd >= 0 else { throw WeightsError.truncated("zip end of central directory not found") }
        var count = Int(bytes.littleEndian(at: eocd + 10, width: 2)!)
        var size = Int(bytes.littleEndian(at: eocd + 12, width: 4)!)
        var offset = Int(bytes.littleEndian(at: eocd + 16, width: 4)!)

        // ZIP64: a locator right before the end record points at the 64-bit end record.
        if eocd >= 20, bytes.littleEndian(at: eocd - 20, width: 4) == 0x0706_4B50 {
            let recordOffset = bytes.littleEndian(at: eocd - 12, width: 8)!
            guard recordOffset <= UInt64(eocd - 20),
                  bytes.littleEndian(at: Int(recordOffset), width: 4) == 0x0606_4B50,
                  let count64 = bytes.littleEndian(at: Int(recordOffset) + 32, width: 8),
                  let size64 = bytes.littleEndian(at: Int(recordOffset) + 40, width: 8),
                  let offset64 = bytes.littleEndian(at: Int(recordOffset) + 48, width: 8) else {
                throw WeightsError.corrupt("zip64 end of central directory record is missing or bad")
            }
            guard count64 <= UInt64(bytes.count), size64 <= UInt64(bytes.count),
                  offset64 <= UInt64(bytes.count) else {
                throw WeightsError.corrupt("zip64 central directory lies outside the file")
            }
            count = Int(count64); size = Int(size64); offset = Int(offset64)
        }
        guard offset <= bytes.count, size <= bytes.count - offset else {
            throw WeightsError.truncated("zip central directory lies outside the file")
        }
        // Each central record takes at least 46 bytes: a larger count is a lie.
        guard count <= size / 46 else {
            throw WeightsError.corrupt("zip central directory declares \(count) entries in \(size) bytes")
        }
        return (offset, count)
    }

    private static func readCentralEntry(_ r: inout ByteReader, fileSize: Int) throws -> Entry {
        guard try r.u32() == 0x0201_4B50 else {
            throw WeightsError.corrupt("bad zip central directory record at offset \(r.offset - 4)")
        }
        try r.skip(4)                                   // versions
        let flags = try r.u16()
        let method = try r.u16()
        try r.skip(4)                                   // time, date
        let crc = try r.u32()
        var compressed = UInt64(try r.u32())
        var size = UInt64(try r.u32())
        let nameLength = Int(try r.u16())
        let extraLength = Int(try r.u16())
        let commentLength = Int(try r.u16())
        try r.skip(8)                                   // disk, attributes
        var local = UInt64(try r.u32())
        let name = String(decoding: try r.take(nameLength), as: UTF8.self)
        var extra = ByteReader(try r.take(extraLength), context: "zip extra field of \(name)")
        try r.skip(commentLength)

        // ZIP64 extended information: present fields replace the saturated 32-bit ones, in order.
        while extra.remaining >= 4 {
            let id = try extra.u16()
            var field = ByteReader(try extra.take(Int(try extra.u16())), context: "zip64 field of \(name)")
            guard id == 0x0001 else { continue }
            if size == 0xFFFF_FFFF { size = try field.u64() }
            if compressed == 0xFFFF_FFFF { compressed = try field.u64() }
            if local == 0xFFFF_FFFF { local = try field.u64() }
        }
        guard size <= UInt64(Int.max / 2), compressed <= UInt64(fileSize), local <= UInt64(fileSize) else {
            throw WeightsError.corrupt("zip entry \(name) has sizes or offsets beyond the file")
        }
        return Entry(name: name, method: method, flags: flags, crc: crc, compressedSize: Int(compressed),
                     size: Int(size), localHeaderOffset: Int(local))
    }
}
