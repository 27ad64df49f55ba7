import ArgusDetection
import Foundation

/// Region proposals a caller supplies for Fast R-CNN mode: boxes in original-image pixels, x1 y1 x2 y2.
public enum CallerProposals {
    /// Most proposals one image may carry (torchvision's RPN gives at most 1000 at test time).
    public static let limit = 10_000

    /// Parses a JSON array of [x1, y1, x2, y2] arrays, naming the first problem.
    public static func parse(json data: Data) throws -> [Box] {
        guard (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil else {
            throw ModelError.invalidOption("proposals: not valid JSON")
        }
        // JSONDecoder, not JSONSerialization's NSNumbers: those cannot tell 1 from true on Linux.
        guard let rows = try? JSONDecoder().decode([[Double]].self, from: data) else {
            throw ModelError.invalidOption("proposals must be a JSON array of [x1, y1, x2, y2] boxes (numbers)")
        }
        return try boxes(rows)
    }

    /// Checks rows of numbers: four finite coordinates each, x2 >= x1, y2 >= y1, at most `limit` rows.
    public static func boxes(_ rows: [[Double]]) throws -> [Box] {
        guard rows.count <= limit else { throw ModelError.invalidOption("proposals: \(rows.count) boxes, the limit is \(limit)") }
        return try rows.enumerated().map { i, n in
            guard n.count == 4 else { throw ModelError.invalidOption("proposals[\(i)] must be [x1, y1, x2, y2]") }
            guard n.allSatisfy({ $0.isFinite && abs($0) <= 1e7 }) else {
                throw ModelError.invalidOption("proposals[\(i)] must hold 4 finite numbers of magnitude <= 1e7")
            }
            guard n[2] >= n[0], n[3] >= n[1] else {
                throw ModelError.invalidOption("proposals[\(i)]: x2 >= x1 and y2 >= y1 are required, got \(n)")
            }
            return Box(x1: Float(n[0]), y1: Float(n[1]), x2: Float(n[2]), y2: Float(n[3]))
        }
    }
}
