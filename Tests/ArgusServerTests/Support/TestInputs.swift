import ArgusImage
import ArgusServer

/// Small images and request bodies for the server tests.
enum TestInputs {
    /// A w x h image with a horizontal red gradient and a fixed green/blue (so the mean red differs by size).
    static func image(width: Int, height: Int, red: Int = 0) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                pixels[i] = UInt8((x * 255 / max(1, width - 1) + red) % 256)
                pixels[i + 1] = 100
                pixels[i + 2] = UInt8(y % 256)
            }
        }
        return try! RGBImage(width: width, height: height, pixels: pixels)
    }

    static func png(width: Int = 64, height: Int = 48, red: Int = 0) -> [UInt8] {
        try! encodePNG(image(width: width, height: height, red: red))
    }

    static func jpeg(width: Int = 64, height: Int = 48, red: Int = 0) -> [UInt8] {
        try! encodeJPEG(image(width: width, height: height, red: red), quality: 90)
    }

    /// Builds a multipart/form-data body; files are (field, filename, content type, bytes).
    static func multipart(boundary: String = "ArgusTestBoundary7MA4YWxk",
                          fields: [(String, String)] = [],
                          files: [(String, String, String, [UInt8])]) -> (contentType: String, body: [UInt8]) {
        var body: [UInt8] = []
        for (name, value) in fields {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        for (name, filename, type, bytes) in files {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n".utf8)
            body += bytes
            body += Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return ("multipart/form-data; boundary=\(boundary)", body)
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var out = ""
        var i = 0
        while i < bytes.count {
            let b0 = Int(bytes[i]), b1 = i + 1 < bytes.count ? Int(bytes[i + 1]) : 0, b2 = i + 2 < bytes.count ? Int(bytes[i + 2]) : 0
            out.append(alphabet[b0 >> 2])
            out.append(alphabet[((b0 & 3) << 4) | (b1 >> 4)])
            out.append(i + 1 < bytes.count ? alphabet[((b1 & 15) << 2) | (b2 >> 6)] : "=")
            out.append(i + 2 < bytes.count ? alphabet[b2 & 63] : "=")
            i += 3
        }
        return out
    }
}

extension TestInputs {
    /// CRC-32 (IEEE, as PNG uses), bitwise.
    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// A valid PNG whose IHDR claims `width` x `height` (CRC fixed), with the original tiny IDAT.
    static func pngDeclaring(width: UInt32, height: UInt32) -> [UInt8] {
        var png = TestInputs.png(width: 8, height: 8)
        let be: (UInt32) -> [UInt8] = { [UInt8($0 >> 24), UInt8(($0 >> 16) & 0xFF), UInt8(($0 >> 8) & 0xFF), UInt8($0 & 0xFF)] }
        png.replaceSubrange(16..<20, with: be(width))
        png.replaceSubrange(20..<24, with: be(height))
        png.replaceSubrange(29..<33, with: be(crc32(png[12..<29])))
        return png
    }

    /// A JPEG whose SOF0 claims `width` x `height`.
    static func jpegDeclaring(width: UInt16, height: UInt16) -> [UInt8] {
        var jpeg = TestInputs.jpeg(width: 16, height: 16)
        var i = 2
        while i + 9 < jpeg.count {
            if jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0 {
                jpeg.replaceSubrange((i + 5)..<(i + 9), with: [UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF)])
                return jpeg
            }
            i += 1
        }
        fatalError("no SOF0 in the test JPEG")
    }

    /// A 16x16 RGB PNG whose zlib stream goes on with `extra` zero bytes after the image's rows (stored blocks, so
    /// the test needs no compressor): the shape of an IDAT bomb, whose tail would be deflated zeros.
    static func pngWithDataAfterTheImage(extra: Int) -> [UInt8] {
        let be: (Int) -> [UInt8] = { v in (0..<4).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be(data.count) + body + be(Int(crc32(body[...])))
        }
        var raw: [UInt8] = []
        for y in 0..<16 { raw += [0] + (0..<48).map { UInt8(truncatingIfNeeded: $0 * 5 + y * 11) } }
        raw += [UInt8](repeating: 0, count: extra)
        var zlib: [UInt8] = [0x78, 0x01]
        var at = 0
        repeat {
            let n = min(65535, raw.count - at)
            zlib += [at + n == raw.count ? 1 : 0, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            zlib += raw[at..<(at + n)]
            at += n
        } while at < raw.count
        var a = 1, b = 0
        for byte in raw { a = (a + Int(byte)) % 65521; b = (b + a) % 65521 }
        zlib += be(b << 16 | a)
        let ihdr = be(16) + be(16) + [8, 2, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", zlib) + chunk("IEND", [])
    }
}
