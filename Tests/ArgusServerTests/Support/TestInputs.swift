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
}
