@testable import ArgusWeights

/// A minimal zip reader/writer for rebuilding checkpoint archives in tests.
enum TestZip {
    struct ZipEntry {
        var name: String
        var data: [UInt8]
    }

    static func entries(_ bytes: [UInt8]) throws -> [ZipEntry] {
        let zip = try ZipArchive(bytes: bytes[...])
        return try zip.entries.map { ZipEntry(name: $0.name, data: Array(try zip.data(of: $0))) }
    }

    /// Stored entries with correct CRC-32s, as torch writes them (minus the alignment padding).
    static func write(_ entries: [ZipEntry]) -> [UInt8] {
        var out: [UInt8] = [], central: [UInt8] = []
        func u16(_ v: Int, _ buf: inout [UInt8]) { buf += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        func u32(_ v: UInt32, _ buf: inout [UInt8]) { for i in 0..<4 { buf.append(UInt8((v >> (8 * UInt32(i))) & 0xFF)) } }
        for e in entries {
            let name = Array(e.name.utf8), crc = crc32(e.data), offset = UInt32(out.count)
            u32(0x0403_4B50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0, &out)
            u32(crc, &out); u32(UInt32(e.data.count), &out); u32(UInt32(e.data.count), &out)
            u16(name.count, &out); u16(0, &out); out += name; out += e.data
            u32(0x0201_4B50, &central); u16(20, &central); u16(20, &central); u16(0, &central); u16(0, &central)
            u16(0, &central); u16(0, &central); u32(crc, &central); u32(UInt32(e.data.count), &central)
            u32(UInt32(e.data.count), &central); u16(name.count, &central); u16(0, &central); u16(0, &central)
            u16(0, &central); u16(0, &central); u32(0, &central); u32(offset, &central); central += name
        }
        let cdOffset = UInt32(out.count)
        out += central
        u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out); u16(entries.count, &out); u16(entries.count, &out)
        u32(UInt32(central.count), &out); u32(cdOffset, &out); u16(0, &out)
        return out
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }
}
