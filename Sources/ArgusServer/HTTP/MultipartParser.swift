import ArgusPipeline

/// One part of a multipart/form-data body.
public struct MultipartPart: Sendable {
    /// The `name` of its Content-Disposition.
    public var name: String
    /// The `filename`, present for file fields.
    public var filename: String?
    /// The part's own Content-Type, if it declared one.
    public var contentType: String?
    public var data: [UInt8]

    /// The data as UTF-8 text (for ordinary form fields).
    public var text: String? { String(validating: data, as: UTF8.self) }
}

/// Why a multipart body was rejected.
public struct MultipartError: Error, CustomStringConvertible, Equatable {
    public var description: String
}

/// A bounds-checked multipart/form-data parser (RFC 7578 over RFC 2046's framing).
public enum MultipartParser {
    /// Most parts accepted in one body.
    public static let maxParts = 256
    /// Longest header block of one part.
    public static let maxHeaderBytes = 8 * 1024

    /// Splits `body` into its parts using `boundary` (the Content-Type parameter, unquoted).
    public static func parse(_ body: [UInt8], boundary: String) throws -> [MultipartPart] {
        let boundaryBytes = Array(boundary.utf8)
        guard (1...70).contains(boundaryBytes.count) else {
            throw MultipartError(description: "multipart boundary must be 1 to 70 characters")
        }
        let delimiter = Array("--".utf8) + boundaryBytes
        let crlfDelimiter = Array("\r\n".utf8) + delimiter
        // The first delimiter opens the body or follows the preamble after a CRLF.
        var position: Int
        if body.starts(with: delimiter) {
            position = delimiter.count
        } else if let found = search(body, crlfDelimiter, from: 0) {
            position = found + crlfDelimiter.count
        } else {
            throw MultipartError(description: "multipart body has no boundary delimiter '--\(boundary)'")
        }
        var parts: [MultipartPart] = []
        while true {
            // After a delimiter: "--" closes the body; otherwise optional whitespace, then CRLF.
            if body.count - position >= 2, body[position] == 0x2D, body[position + 1] == 0x2D { return parts }
            while position < body.count, body[position] == 0x20 || body[position] == 0x09 { position += 1 }
            guard body.count - position >= 2, body[position] == 0x0D, body[position + 1] == 0x0A else {
                throw MultipartError(description: "malformed multipart delimiter line (the body may be truncated)")
            }
            position += 2
            guard parts.count < maxParts else {
                throw MultipartError(description: "more than \(maxParts) multipart parts")
            }
            let headerBytes: [UInt8], contentStart: Int
            if body[position...].starts(with: [0x0D, 0x0A]) {
                headerBytes = []
                contentStart = position + 2
            } else if let headerEnd = search(body, Array("\r\n\r\n".utf8), from: position, limit: maxHeaderBytes + 4) {
                headerBytes = Array(body[position..<headerEnd])
                contentStart = headerEnd + 4
            } else {
                throw MultipartError(description: "multipart part headers are unterminated or longer than \(maxHeaderBytes) bytes")
            }
            guard let contentEnd = search(body, crlfDelimiter, from: contentStart) else {
                throw MultipartError(description: "multipart body ends without its closing boundary")
            }
            parts.append(try makePart(headerBytes: headerBytes, data: Array(body[contentStart..<contentEnd])))
            position = contentEnd + crlfDelimiter.count
        }
    }

    private static func makePart(headerBytes: [UInt8], data: [UInt8]) throws -> MultipartPart {
        guard let headerText = String(validating: headerBytes, as: UTF8.self) else {
            throw MultipartError(description: "multipart part headers are not UTF-8")
        }
        var name: String?, filename: String?, contentType: String?
        for line in headerText.split(separator: "\r\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else {
                throw MultipartError(description: "malformed multipart header line")
            }
            let field = line[..<colon].trimmingSpaces().lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces()
            switch field {
            case "content-disposition":
                // Same grammar as a media type's parameters: `form-data; name="x"; filename="y"`.
                let pieces = MediaType.splitParameters(value)
                guard pieces.first?.trimmingSpaces().lowercased() == "form-data" else {
                    throw MultipartError(description: "multipart part is not form-data")
                }
                if let parsed = MediaType("x/x;" + pieces.dropFirst().joined(separator: ";")) {
                    name = parsed.parameters["name"]
                    filename = parsed.parameters["filename"]
                }
            case "content-type":
                contentType = value
            default:
                continue
            }
        }
        guard let partName = name else {
            throw MultipartError(description: "multipart part has no Content-Disposition name")
        }
        return MultipartPart(name: partName, filename: filename, contentType: contentType, data: data)
    }

    /// First index of `needle` in `haystack` at or after `from`, looking at most `limit` bytes ahead.
    static func search(_ haystack: [UInt8], _ needle: [UInt8], from: Int, limit: Int = .max) -> Int? {
        let n = needle.count
        guard n > 0, from >= 0 else { return nil }
        let end = min(haystack.count - n, limit == .max ? .max : from + limit - n)
        guard end >= from else { return nil }
        return haystack.withUnsafeBufferPointer { h -> Int? in
            needle.withUnsafeBufferPointer { p -> Int? in
                let first = p[0]
                var i = from
                while i <= end {
                    if h[i] == first {
                        var j = 1
                        while j < n && h[i + j] == p[j] { j += 1 }
                        if j == n { return i }
                    }
                    i += 1
                }
                return nil
            }
        }
    }
}
