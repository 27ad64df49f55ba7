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
    func callAsFunction(_ features: [Tensor]) throws -> (rows: Int, values: [Float]) {
        let no = outputsPerAnchor
        let raw = try zip(levels, features).map { level, x in
            try conv2d(x, weights: level.weights, bias: level.bias, activation: .sigmoid)
        }
        let rows = zip(levels, raw).reduce(0) { $0 + $1.0.anchors.count * $1.1.shape[2] * $1.1.shape[3] }
        var out = [Float](repeating: 0, count: rows * no)
        out.withUnsafeMutableBufferPointer { dst in
            var row = 0
            for (level, y) in zip(levels, raw) {
                let ny = y.shape[2], nx = y.shape[3], plane = ny * nx
                y.storage.withUnsafeBufferPointer { src in
                    for (a, anchor) in level.anchors.enumerated() {
                        let base = src.baseAddress! + a * no * plane
                        for gy in 0..<ny {
                            for gx in 0..<nx {
                                let cell = gy * nx + gx
                                let o = dst.baseAddress! + row * no
                                let sx = base[cell], sy = base[plane + cell]
                                let sw = base[2 * plane + cell] * 2, sh = base[3 * plane + cell] * 2
                                o[0] = (sx * 2 + (Float(gx) - 0.5)) * level.stride
                                o[1] = (sy * 2 + (Float(gy) - 0.5)) * level.stride
                                o[2] = sw * sw * anchor.0
                                o[3] = sh * sh * anchor.1
                                for k in 4..<no { o[k] = base[k * plane + cell] }
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
