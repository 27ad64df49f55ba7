import ArgusImage
import ArgusJSON
import ArgusMask
import Foundation

/// Writes one binary mask (original-image pixels) in a `mask_format`.
public enum MaskJSON {
    /// The mask as JSON in `format`.
    public static func encode(_ mask: RLE, format: MaskFormat) throws -> JSONValue {
        switch format {
        case .rle: return COCOResultJSON.rle(mask)
        case .polygon: return polygons(mask)
        case .png: return try png(mask)
        }
    }


    /// The outlines: one `{"exterior", "holes"}` per connected part, flat `[x0, y0, x1, y1, ...]` rings.
    public static func polygons(_ mask: RLE) -> JSONValue {
        .array(MaskPolygons.trace(mask).map { part in
            .object([("exterior", ring(part.exterior)), ("holes", .array(part.holes.map(ring)))])
        })
    }

    private static func ring(_ xy: [Double]) -> JSONValue { .array(xy.map { .number($0) }) }

    /// The mask's tight box `(x, y, width, height)` and a 1-bit gray PNG of it (white inside), base64.
    /// An empty mask is `{"x": 0, "y": 0, "width": 0, "height": 0, "png": null}`.
    public static func png(_ mask: RLE) throws -> JSONValue {
        let box = mask.boundingBox
        let x = Int(box.x), y = Int(box.y), w = Int(box.width), h = Int(box.height)
        var png: JSONValue = .null
        if w > 0 && h > 0 {
            png = .string(Data(try encodePNG(bits1: crop(mask, x: x, y: y, width: w, height: h), width: w, height: h))
                .base64EncodedString())
        }
        return .object([("x", .number(Double(x))), ("y", .number(Double(y))), ("width", .number(Double(w))),
                        ("height", .number(Double(h))), ("png", png)])
    }

    /// Row-major 0/255 bytes of the `width x height` window at (x, y), written straight from the column-major runs.
    static func crop(_ mask: RLE, x: Int, y: Int, width: Int, height: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height)
        let h = mask.height
        var position = 0
        for (i, count) in mask.counts.enumerated() {
            let run = Int(count)
            if i & 1 == 1 {
                var p = position
                let end = position + run
                while p < end {
                    let column = p / h, row = p - column * h
                    let stop = min(end, (column + 1) * h)  // the run's part inside this column
                    if column >= x && column < x + width {
                        let cx = column - x
                        for r in row..<(row + stop - p) where r >= y && r < y + height {
                            out[(r - y) * width + cx] = 255
                        }
                    }
                    p = stop
                }
            }
            position += run
        }
        return out
    }
}
