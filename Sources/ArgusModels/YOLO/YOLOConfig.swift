import ArgusWeights

/// A YOLO model definition as stored in the checkpoint's `yaml` dict: YOLOv5's (`models/yolov5n.yaml`, with
/// `depth_multiple` / `width_multiple` and anchors) or Ultralytics 8's (`yolov8.yaml`, with a `scales` table
/// {scale: [depth, width, max_channels]} and the chosen `scale`, anchor-free).
///
/// Parsed like `parse_model`: module names and arguments as the yaml gives them, with the
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
    /// Channel cap applied before the width multiplier (Ultralytics 8 `scales`; infinite for YOLOv5).
    var maxChannels: Double = .infinity
    /// The `scales` key used (Ultralytics 8), nil for YOLOv5 yamls.
    var scale: String?
    /// DFL bins per box side (Ultralytics 8 `reg_max`, default 16).
    var regMax: Int = 16
    /// The yaml asks for an end-to-end (NMS-free, one-to-one) head.
    var endToEnd = false
    /// Anchor (w, h) pairs in pixels, per detection level; nil when the yaml gives only a count
    /// (`anchors: 3`, as YOLOv5's p2/p34/p6/p7 hub yamls do: AutoAnchor then writes them into the
    /// Detect layer's `anchors` buffer, the only place they are stored), and for anchor-free yamls.
    var anchors: [[Double]]?
    /// 0 for an anchor-free (Ultralytics 8) yaml.
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
        guard (1...100_000).contains(classCount) else { throw ModelError.malformedConfig("nc \(classCount) is out of range") }
        activation = yaml["activation"]?.string
        if let scales = yaml["scales"]?.dict, !scales.isEmpty {
            // parse_model: `scale` from the yaml, else the table's first key; then [depth, width, max_channels].
            let key = yaml["scale"]?.string ?? scales.keys[0].string ?? ""
            guard let row = scales[key]?.array, row.count == 3, let d = row[0].double, let w = row[1].double,
                  let m = row[2].double, d > 0, w > 0, m >= 1 else {
                throw ModelError.malformedConfig("yaml 'scales' has no [depth, width, max_channels] for scale '\(key)'")
            }
            (scale, depthMultiple, widthMultiple, maxChannels) = (key, d, w, m)
        } else {
            // parse_model reads both with a 1.0 default.
            depthMultiple = yaml["depth_multiple"]?.double ?? 1
            widthMultiple = yaml["width_multiple"]?.double ?? 1
        }
        if let r = yaml["reg_max"] {
            guard let v = r.int, (1...64).contains(v) else { throw ModelError.malformedConfig("reg_max must be an int in 1...64") }
            regMax = v
        }
        endToEnd = yaml["end2end"]?.bool ?? false
        if yaml["anchors"] == nil || yaml["anchors"]!.isNone {
            anchors = nil
            anchorsPerLevel = 0
        } else if let count = yaml["anchors"]?.int {
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
            throw ModelError.malformedConfig("yaml 'anchors' must be a list of (w, h) per level, or a count")
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

    /// Output channels after the width multiplier: `make_divisible(min(c, max_channels) * gw, 8)`.
    func scaledWidth(_ c: Int) -> Int {
        Int((min(Double(c), maxChannels) * widthMultiple / 8).rounded(.up)) * 8
    }
}

extension Double {
    /// Python 3's `round()`: ties go to the even neighbour.
    func roundedHalfEven() -> Double { rounded(.toNearestOrEven) }
}
