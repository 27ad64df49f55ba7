import ArgusTensor

/// YOLOv5's `Detect` head: a 1x1 conv per level, then every cell and anchor decoded to a box.
///
/// Output rows are ordered (level, anchor, grid y, grid x) like the reference, each row
/// `[cx, cy, w, h, objectness, class scores...]` in network-input pixels, all after the sigmoid:
/// `xy = (2 * sigmoid(t) + grid - 0.5) * stride`, `wh = (2 * sigmoid(t))^2 * anchor`.
struct YOLODetect {
    struct Level {
        /// The level's 1x1 conv, packed at load.
        let weights: ConvWeights
        let bias: Tensor
        let stride: Float
        /// (w, h) per anchor, in input pixels.
        let anchors: [(Float, Float)]
    }

    let levels: [Level]
    let classCount: Int
    var outputsPerAnchor: Int { classCount + 5 }

    /// - anchorsPixels: the yaml's anchors, or nil when it gives only a count (then the stored buffer is required).
    init(_ w: any WeightSource, _ prefix: String, classCount: Int, anchorsPerLevel na: Int, anchorsPixels: [[Double]]?,
         inChannels: [Int], strides: [Int]) throws {
        guard strides.count == inChannels.count, anchorsPixels == nil || anchorsPixels!.count == inChannels.count else {
            throw ModelError.malformedConfig("Detect: \(anchorsPixels?.count ?? 0) anchor rows for \(inChannels.count) inputs")
        }
        self.classCount = classCount
        let no = classCount + 5
        // The stored `anchors` buffer (in grid units) is what the reference multiplies by the stride.
        let stored = w.contains("\(prefix).anchors") ? try w.tensor("\(prefix).anchors", shape: [inChannels.count, na, 2]) : nil
        guard stored != nil || anchorsPixels != nil else {
            throw ModelError.malformedConfig("the yaml gives only an anchor count and the checkpoint has no \(prefix).anchors")
        }
        levels = try inChannels.indices.map { i in
            let stride = Float(strides[i])
            let anchors: [(Float, Float)] = (0..<na).map { a in
                if let s = stored { return (s.storage[(i * na + a) * 2] * stride, s.storage[(i * na + a) * 2 + 1] * stride) }
                return (Float(anchorsPixels![i][2 * a]), Float(anchorsPixels![i][2 * a + 1]))
            }
            return Level(weights: try ConvWeights(w.tensor("\(prefix).m.\(i).weight", shape: [na * no, inChannels[i], 1, 1])),
                         bias: try w.tensor("\(prefix).m.\(i).bias", shape: [na * no]),
                         stride: stride, anchors: anchors)
        }
    }

    /// Decoded predictions, `[rows, classCount + 5]` flattened row-major.
    ///
    /// - objectnessAbove: keep only the rows whose objectness is above this (what `non_max_suppression` keeps
    ///   first), in the same order. The conv then leaves logits, the sigmoid goes to the objectness channel and
    ///   then to the rows that pass: the same bits for those rows (the sigmoid is the conv epilogue's, lane by
    ///   lane) without the sigmoid and the copy of every cell's 85 values, most of which the filter drops.
    func callAsFunction(_ features: [Tensor], objectnessAbove threshold: Float? = nil) throws -> (rows: Int, values: [Float]) {
        let no = outputsPerAnchor
        let raw = try zip(levels, features).map { level, x in
            try conv2d(x, weights: level.weights, bias: level.bias, activation: threshold == nil ? .sigmoid : nil)
        }
        // The rows, in the reference's (level, anchor, grid y, grid x) order: every cell, or those above the threshold.
        var cells: [(level: Int, anchor: Int, cell: Int)] = []
        for (l, (level, y)) in zip(levels, raw).enumerated() {
            let plane = y.shape[2] * y.shape[3]
            for a in level.anchors.indices {
                guard let threshold else {
                    cells += (0..<plane).map { (l, a, $0) }
                    continue
                }
                let base = a * no * plane + 4 * plane
                let objectness = sigmoid(Tensor(shape: [plane], storage: Array(y.storage[base..<(base + plane)])))
                for cell in 0..<plane where objectness.storage[cell] > threshold { cells.append((l, a, cell)) }
            }
        }
        // Each row's values from its level's planes, then (logits) the sigmoid, then the box decoded in place.
        var out = [Float](repeating: 0, count: cells.count * no)
        for (r, c) in cells.enumerated() {
            let y = raw[c.level], plane = y.shape[2] * y.shape[3], base = c.anchor * no * plane + c.cell
            for k in 0..<no { out[r * no + k] = y.storage[base + k * plane] }
        }
        if threshold != nil { out = sigmoid(Tensor(shape: [out.count], storage: out)).storage }
        for (r, c) in cells.enumerated() {
            let level = levels[c.level], nx = raw[c.level].shape[3], anchor = level.anchors[c.anchor]
            let gx = Float(c.cell % nx), gy = Float(c.cell / nx), o = r * no
            let sw = out[o + 2] * 2, sh = out[o + 3] * 2
            out[o] = (out[o] * 2 + (gx - 0.5)) * level.stride
            out[o + 1] = (out[o + 1] * 2 + (gy - 0.5)) * level.stride
            out[o + 2] = sw * sw * anchor.0
            out[o + 3] = sh * sh * anchor.1
        }
        return (cells.count, out)
    }
}
