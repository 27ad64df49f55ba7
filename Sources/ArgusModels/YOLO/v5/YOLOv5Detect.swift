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
        // Per level, anchor and cell kept: its row's values, sigmoid applied (all rows without a threshold).
        var out: [Float] = []
        var kept: [(level: Int, anchor: Int, cell: Int)] = []
        if let threshold {
            for (l, (level, y)) in zip(levels, raw).enumerated() {
                let plane = y.shape[2] * y.shape[3]
                for a in level.anchors.indices {
                    let base = a * no * plane
                    let objectness = sigmoid(Tensor(shape: [plane], storage: Array(y.storage[(base + 4 * plane)..<(base + 5 * plane)])))
                    for cell in 0..<plane where objectness.storage[cell] > threshold { kept.append((l, a, cell)) }
                }
            }
            var gathered = [Float](repeating: 0, count: kept.count * no)
            for (r, k) in kept.enumerated() {
                let y = raw[k.level], plane = y.shape[2] * y.shape[3], base = k.anchor * no * plane + k.cell
                for c in 0..<no { gathered[r * no + c] = y.storage[base + c * plane] }
            }
            out = sigmoid(Tensor(shape: [gathered.count], storage: gathered)).storage
        }
        let rows = threshold != nil ? kept.count
            : zip(levels, raw).reduce(0) { $0 + $1.0.anchors.count * $1.1.shape[2] * $1.1.shape[3] }
        if threshold == nil { out = [Float](repeating: 0, count: rows * no) }
        out.withUnsafeMutableBufferPointer { dst in
            // Row r's values: in `dst` already (kept rows) or read from the level's planes (every row).
            func decode(_ row: Int, level: Level, anchor: (Float, Float), gx: Int, gy: Int, from src: UnsafePointer<Float>, step: Int) {
                let o = dst.baseAddress! + row * no
                let sx = src[0], sy = src[step]
                let sw = src[2 * step] * 2, sh = src[3 * step] * 2
                o[0] = (sx * 2 + (Float(gx) - 0.5)) * level.stride
                o[1] = (sy * 2 + (Float(gy) - 0.5)) * level.stride
                o[2] = sw * sw * anchor.0
                o[3] = sh * sh * anchor.1
                if step != 1 { for k in 4..<no { o[k] = src[k * step] } }
            }
            if threshold != nil {
                for (r, k) in kept.enumerated() {
                    let nx = raw[k.level].shape[3], level = levels[k.level]
                    let values = Array(dst[(r * no)..<(r * no + 4)])
                    values.withUnsafeBufferPointer {
                        decode(r, level: level, anchor: level.anchors[k.anchor], gx: k.cell % nx, gy: k.cell / nx,
                               from: $0.baseAddress!, step: 1)
                    }
                }
                return
            }
            var row = 0
            for (level, y) in zip(levels, raw) {
                let ny = y.shape[2], nx = y.shape[3], plane = ny * nx
                y.storage.withUnsafeBufferPointer { src in
                    for (a, anchor) in level.anchors.enumerated() {
                        let base = src.baseAddress! + a * no * plane
                        for gy in 0..<ny {
                            for gx in 0..<nx {
                                decode(row, level: level, anchor: anchor, gx: gx, gy: gy, from: base + gy * nx + gx, step: plane)
                                row += 1
                            }
                        }
                    }
                }
            }
        }
        return (rows, out)
    }
}
