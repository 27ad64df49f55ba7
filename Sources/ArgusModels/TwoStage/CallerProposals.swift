import ArgusDetection
import Foundation

/// Region proposals a caller supplies for Fast R-CNN mode: boxes in original-image pixels, x1 y1 x2 y2.
public enum CallerProposals {
    /// Most proposals one image may carry (torchvision's RPN gives at most 1000 at test time).
    public static let limit = 10_000

    /// Parses a JSON array of [x1, y1, x2, y2] arrays, naming the first problem.
    public static func parse(json data: Data) throws -> [Box] {
        let value: Any
        do { value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw ModelError.invalidOption("proposals: not valid JSON (\(error.localizedDescription))")
        }
        return try boxes(from: value)
    }

    /// Checks an already decoded JSON value: an array of [x1, y1, x2, y2] arrays.
    public static func boxes(from value: Any) throws -> [Box] {
        guard let list = value as? [Any] else {
            throw ModelError.invalidOption("proposals must be a JSON array of [x1, y1, x2, y2] boxes")
        }
        guard list.count <= limit else { throw ModelError.invalidOption("proposals: \(list.count) boxes, the limit is \(limit)") }
        return try list.enumerated().map { i, item in
            guard let v = item as? [Any], v.count == 4 else {
                throw ModelError.invalidOption("proposals[\(i)] must be [x1, y1, x2, y2]")
            }
            let n = try v.map { x -> Double in
                guard let d = (x as? NSNumber)?.doubleValue, !(x is Bool), d.isFinite, abs(d) <= 1e7 else {
                    throw ModelError.invalidOption("proposals[\(i)] must hold 4 finite numbers")
                }
                return d
            }
            guard n[2] >= n[0], n[3] >= n[1] else {
                throw ModelError.invalidOption("proposals[\(i)]: x2 >= x1 and y2 >= y1 are required, got \(n)")
            }
            return Box(x1: Float(n[0]), y1: Float(n[1]), x2: Float(n[2]), y2: Float(n[3]))
        }
    }
}
