/// Standard and URL-safe base64 decoding (RFC 4648), tolerant of line breaks and missing padding.
public enum Base64 {
    private static let table: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = Int8(i) }
        t[Int(UInt8(ascii: "-"))] = 62
        t[Int(UInt8(ascii: "_"))] = 63
        return t
    }()

    /// An uploaded image's bytes: base64, or a data URL (`data:image/png;base64,...`) as browsers produce them.
    public static func decodeImage(_ text: String) -> [UInt8]? {
        if text.hasPrefix("data:"), let comma = text.firstIndex(of: ",") { return decode(String(text[text.index(after: comma)...])) }
        return decode(text)
    }

    /// The decoded bytes, or nil if `text` is not base64.
    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3 / 4)
        var accumulator: UInt32 = 0, bits = 0, padding = 0
        for c in text.utf8 {
            if c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") || c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") { continue }
            if c == UInt8(ascii: "=") { padding += 1; continue }
            if padding > 0 { return nil }  // data after padding
            let v = table[Int(c)]
            if v < 0 { return nil }
            accumulator = accumulator << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // A single leftover character (6 bits) cannot encode a byte; leftover bits must be zero-padding.
        if bits >= 6 || padding > 2 { return nil }
        return out
    }
}
