import ArgusDetection
import ArgusJSON
import Foundation

/// Region proposals a caller supplies for Fast R-CNN mode: boxes in original-image pixels, x1 y1 x2 y2.
public enum CallerProposals {
    /// Most proposals one image may carry (torchvision's RPN gives at most 1000 at test time).
    public static let limit = 10_000

    /// Parses a JSON array of [x1, y1, x2, y2] arrays, naming the first problem.
    public static func parse(json data: Data) throws -> [Box] {
        let document: JSONValue
        do { document = try JSONParser.parse([UInt8](data)) } catch { throw ModelError.invalidOption("proposals: not valid JSON") }
        let shapeError = ModelError.invalidOption("proposals must be a JSON array of [x1, y1, x2, y2] boxes (numbers)")
        guard let list = document.arrayValue else { throw shapeError }
        let rows = try list.map { row -> [Double] in
            guard let items = row.arrayValue else { throw shapeError }
            return try items.map { item in
                guard let v = item.doubleValue else { throw shapeError }
                return v
            }
        }
        return try boxes(rows)
    }

    /// Checks rows of numbers: four coordinates each, then `validated`.
    public static func boxes(_ rows: [[Double]]) throws -> [Box] {
        guard rows.count <= limit else { throw ModelError.invalidOption("proposals: \(rows.count) boxes, the limit is \(limit)") }
        return try validated(rows.enumerated().map { i, n in
            guard n.count == 4 else { throw ModelError.invalidOption("proposals[\(i)] must be [x1, y1, x2, y2]") }
            return Box(x1: Float(n[0]), y1: Float(n[1]), x2: Float(n[2]), y2: Float(n[3]))
        })
    }

    /// At most `limit` boxes, finite coordinates of magnitude <= 1e7, x2 >= x1 and y2 >= y1; names the first bad one.
    public static func validated(_ boxes: [Box]) throws -> [Box] {
        guard boxes.count <= limit else { throw ModelError.invalidOption("proposals: \(boxes.count) boxes, the limit is \(limit)") }
        for (i, b) in boxes.enumerated() {
            guard [b.x1, b.y1, b.x2, b.y2].allSatisfy({ $0.isFinite && abs($0) <= 1e7 }) else {
                throw ModelError.invalidOption("proposals[\(i)] must hold 4 finite numbers of magnitude <= 1e7")
            }
            guard b.x2 >= b.x1, b.y2 >= b.y1 else {
                throw ModelError.invalidOption("proposals[\(i)]: x2 >= x1 and y2 >= y1 are required, got \([b.x1, b.y1, b.x2, b.y2])")
            }
        }
        return boxes
    }
}
