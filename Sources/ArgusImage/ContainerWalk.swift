/// Visits the marker segments of a JPEG header in order, up to (not into) the first scan.
/// `visit(marker, body)` gets the segment payload (without the length field) and returns
/// false to stop. Malformed structure simply ends the walk.
func walkJPEGSegments(_ bytes: [UInt8], _ visit: (UInt8, ArraySlice<UInt8>) -> Bool) {
    guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return }
    var position = 2
    while position < bytes.count {
        guard bytes[position] == 0xFF else { return }
        // Any number of 0xFF fill bytes may precede a marker.
        while position < bytes.count, bytes[position] == 0xFF { position += 1 }
        guard position < bytes.count else { return }
        let marker = bytes[position]
        position += 1
        switch marker {
        case 0xD8, 0x01, 0xD0 ... 0xD7: continue  // standalone markers carry no length
        case 0xD9, 0xDA: return                    // EOI or start of scan: header is over
        default: break
        }
        guard position + 2 <= bytes.count else { return }
        let length = Int(bytes[position]) << 8 | Int(bytes[position + 1])
        guard length >= 2, position + length <= bytes.count else { return }
        if !visit(marker, bytes[(position + 2) ..< (position + length)]) { return }
        position += length
    }
}

/// Visits PNG chunks after the signature; `visit(type, body)` returns false to stop.
/// Lengths are bounds-checked against the data; CRCs are left to libpng.
func walkPNGChunks(_ bytes: [UInt8], _ visit: (String, ArraySlice<UInt8>) -> Bool) {
    var position = 8
    while position <= bytes.count - 12 {
        let length = Int(bytes[position]) << 24 | Int(bytes[position + 1]) << 16
            | Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
        let typeBytes = bytes[(position + 4) ..< (position + 8)]
        guard typeBytes.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) }),
              length <= bytes.count - position - 12 else { return }
        let type = String(decoding: typeBytes, as: UTF8.self)
        if !visit(type, bytes[(position + 8) ..< (position + 8 + length)]) { return }
        position += 12 + length
    }
}
