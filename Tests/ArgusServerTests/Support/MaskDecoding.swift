import ArgusImage
import ArgusMask
import Foundation
import XCTest

/// Reads the mask encodings of /segment responses back into masks, independently of the server's encoders.
enum MaskDecoding {
    /// `{"size": [h, w], "counts": "..."}` -> RLE (pycocotools' string format, parsed by ArgusMask).
    static func rle(_ json: Any?) throws -> RLE {
        let object = try XCTUnwrap(json as? [String: Any], "mask is not an RLE object: \(String(describing: json))")
        let size = try XCTUnwrap(object["size"] as? [Int])
        let counts = try XCTUnwrap(object["counts"] as? String)
        return try RLE(compressed: counts, height: size[0], width: size[1])
    }

    /// `[{"exterior": [...], "holes": [[...]]}]` -> polygons.
    static func polygons(_ json: Any?) throws -> [MaskPolygon] {
        let parts = try XCTUnwrap(json as? [[String: Any]], "mask is not a polygon list: \(String(describing: json))")
        return try parts.map { part in
            MaskPolygon(exterior: try XCTUnwrap(part["exterior"] as? [Double]), holes: try XCTUnwrap(part["holes"] as? [[Double]]))
        }
    }

    /// A base64 PNG -> the decoded RGB image.
    static func png(_ base64: Any?) throws -> RGBImage {
        let text = try XCTUnwrap(base64 as? String, "not a base64 string")
        let data = try XCTUnwrap(Data(base64Encoded: text), "invalid base64")
        return try decodeImage([UInt8](data)).image
    }

    /// The red channel of an image, row-major.
    static func red(_ image: RGBImage) -> [UInt8] {
        stride(from: 0, to: image.pixels.count, by: 3).map { image.pixels[$0] }
    }

    /// `round(alpha * over + (1 - alpha) * under)` per channel: the documented overlay blend.
    static func blended(_ under: [UInt8], _ over: RGBColor, alpha: Float) -> [UInt8] {
        zip(under, [over.r, over.g, over.b]).map { u, o in UInt8((alpha * Float(o) + (1 - alpha) * Float(u)).rounded()) }
    }
}
