import ArgusJSON
import ArgusPipeline
@testable import ArgusServer
import Foundation

/// First line: the boundary; the rest: a multipart/form-data body.
func fuzzMultipart(_ bytes: [UInt8]) {
    let (boundary, body) = splitFirstLine(bytes)
    guard let parts = try? MultipartParser.parse(body, boundary: boundary) else { return }
    require(parts.count <= MultipartParser.maxParts, "\(parts.count) parts")
    let payload = parts.reduce(0) { $0 + $1.data.count }
    require(payload <= body.count, "parts hold \(payload) bytes of a \(body.count)-byte body")
    for part in parts { _ = part.text }
}

/// First line: a Content-Type (media type grammar); the rest: a query string, read as /detect, /segment and
/// /evaluate read their parameters (including `proposals`, a JSON list).
func fuzzParameters(_ bytes: [UInt8]) {
    let (contentType, rest) = splitFirstLine(bytes)
    if let media = MediaType(contentType) { _ = media.parameters["boundary"] }
    let parameters = Parameters(queryPairs(String(decoding: rest, as: UTF8.self)))
    _ = try? DetectParameters(parameters)
    _ = try? SegmentParameters(parameters)
    _ = try? parameters.choice("iou_type", EvaluateSettings.IoUKind.self)
    _ = try? parameters.choice("policy", EvaluateSettings.Policy.self)
    _ = try? parameters.bool("voc")
}

/// Any text through the decoder; whatever decodes must survive a round trip through Foundation's encoder,
/// and Foundation's encoding of the raw input must decode back to it.
func fuzzBase64(_ bytes: [UInt8]) {
    if let decoded = Base64.decode(String(decoding: bytes, as: UTF8.self)) {
        let again = Base64.decode(Data(decoded).base64EncodedString())
        require(again == decoded, "re-encoded base64 decodes differently")
    }
    let encoded = Data(bytes).base64EncodedString(options: .lineLength76Characters)
    require(Base64.decode(encoded) == bytes, "Foundation's base64 of \(bytes.count) bytes does not decode back")
}

/// `name=value&...` split and percent-decoded the way libmicrohttpd hands query arguments over.
func queryPairs(_ query: String) -> [(name: String, value: String)] {
    query.split(separator: "&", omittingEmptySubsequences: true).map { item in
        let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        func decode(_ s: Substring) -> String {
            let spaced = s.replacingOccurrences(of: "+", with: " ")
            return spaced.removingPercentEncoding ?? spaced
        }
        return (decode(pair[0]), pair.count > 1 ? decode(pair[1]) : "")
    }
}
