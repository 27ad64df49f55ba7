import ArgusWeights

/// A YOLOv5 model definition as stored in the checkpoint's `yaml` dict (`models/yolov5n.yaml` and friends).
///
/// Parsed like YOLOv5's `parse_model`: module names and arguments as the yaml gives them, with the
/// depth and width multipliers applied when the network is built.
struct YOLOConfig {
    /// One row of `backbone` or `head`: `[from, number, module, args]`.
    struct Row {
        var from: [Int]
        var number: Int
        var module: String
        var args: [PickleValue]
    }

    var classCount: Int
    var depthMultiple: Double
    var widthMultiple: Double
    /// Anchor (w, h) pairs in pixels, per detection level; nil when the yaml gives only a count
    /// (`anchors: 3`, as YOLOv5's p2/p34/p6/p7 hub yamls do: AutoAnchor then writes them into the
    /// Detect layer's `anchors` buffer, the only place they are stored).
    var anchors: [[Double]]?
    var anchorsPerLevel: Int
    var activation: String?
    var rows: [Row]

    init(yaml: PickleValue) throws {
        guard yaml.dict != nil else { throw ModelError.malformedConfig("the checkpoint's yaml is not a dict") }
        func number(_ key: String) throws -> Double {
            guard let v = yaml[key]?.double else { throw ModelError.malformedConfig("yaml has no number '\(key)'") }
            return v
        }
        classCount = Int(try number("nc"))
        depthMultiple = try number("depth_multiple")
        widthMultiple = try number("width_multiple")
        activation = yaml["activation"]?.string
        if let count = yaml["anchors"]?.int {
            guard (1...64).contains(count) else { throw ModelError.malformedConfig("anchor count \(count) is out of range") }
            anchors = nil
            anchorsPerLevel = count
        } else if let anchorRows = yaml["anchors"]?.array, !anchorRows.isEmpty {
            let rows = try anchorRows.map { row in
                guard let values = row.array?.compactMap(\.double), values.count == row.array?.count,
                      !values.isEmpty, values.count % 2 == 0 else {
                    throw ModelError.malformedConfig("anchors must be lists of (w, h) numbers")
                }
                return values
            }
            guard Set(rows.map(\.count)).count == 1 else {
                throw ModelError.malformedConfig("every level needs the same number of anchors")
            }
            anchors = rows
            anchorsPerLevel = rows[0].count / 2
        } else {
            throw ModelError.malformedConfig("yaml has no 'anchors' (a list of (w, h) per level, or a count)")
        }
        guard let backbone = yaml["backbone"]?.array, let head = yaml["head"]?.array else {
            throw ModelError.malformedConfig("yaml needs 'backbone' and 'head' lists")
        }
        rows = try (backbone + head).enumerated().map { i, row in
            guard let items = row.array, items.count == 4 else {
                throw ModelError.malformedConfig("layer \(i): expected [from, number, module, args]")
            }
            let from: [Int]
            if let f = items[0].int { from = [f] } else if let fs = items[0].ints { from = fs } else {
                throw ModelError.malformedConfig("layer \(i): 'from' must be an int or a list of ints")
            }
            guard let n = items[1].int, n >= 1, n <= 1000 else {
                throw ModelError.malformedConfig("layer \(i): 'number' must be a positive int")
            }
            guard let module = items[2].string ?? items[2].className else {
                throw ModelError.malformedConfig("layer \(i): module name missing")
            }
            return Row(from: from, number: n, module: module, args: items[3].array ?? [])
        }
    }

    /// `n` after the depth multiplier, as parse_model computes it: `max(round(n * gd), 1) if n > 1 else n`.
    func scaledDepth(_ n: Int) -> Int {
        n > 1 ? max(Int((Double(n) * depthMultiple).roundedHalfEven()), 1) : n
    }

    /// Output channels after the width multiplier: `make_divisible(c * gw, 8)`.
    func scaledWidth(_ c: Int) -> Int {
        Int((Double(c) * widthMultiple / 8).rounded(.up)) * 8
    }
}

extension Double {
    /// Python 3's `round()`: ties go to the even neighbour.
    func roundedHalfEven() -> Double { rounded(.toNearestOrEven) }
}
