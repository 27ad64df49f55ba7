import ArgusTensor

/// What the Ultralytics 8 head returns for one image (PyTorch `Detect` / `Segment` in inference mode).
struct YOLOv8HeadOutput {
    /// `[1, 4 + nc + nm, anchors]`, channel-major: box xywh in input pixels, class sigmoid scores, then the
    /// mask coefficients (Segment only). The same layout as an ONNX export's `output0`.
    var output: Tensor
    /// `[1, nm, H/4, W/4]` mask prototypes (Segment only), the ONNX export's `output1`.
    var protos: Tensor?
    /// `[1, 4 * reg_max, anchors]` box distribution logits before DFL.
    var boxLogits: Tensor
    /// `[1, nc, anchors]` class logits before the sigmoid.
    var classLogits: Tensor
}

/// Ultralytics 8 `Detect` (and `Segment`, with `masks > 0`): per level three branches
/// `Sequential(Conv 3x3, Conv 3x3, Conv2d 1x1)` for box distributions (`cv2`), class logits (`cv3`) and mask
/// coefficients (`cv4`), decoded with DFL and anchor points at cell centres; `Proto` on the first level.
///
/// Reference: ultralytics 8.4 `nn/modules/head.py` Detect/Segment, `utils/tal.py` make_anchors / dist2bbox.
struct YOLOv8Head {
    /// One `Sequential(Conv, Conv, Conv2d)` branch at `prefix` (`model.22.cv2.0`).
    struct Branch {
        let first: ConvBlock, second: ConvBlock
        /// The final 1x1 conv, packed at load.
        let weights: ConvWeights, bias: Tensor

        init(_ w: any WeightSource, _ prefix: String, c1: Int, hidden: Int, out: Int, act: Activation?) throws {
            first = try ConvBlock(v8: w, "\(prefix).0", c1: c1, c2: hidden, k: 3, act: act)
            second = try ConvBlock(v8: w, "\(prefix).1", c1: hidden, c2: hidden, k: 3, act: act)
            weights = try ConvWeights(w.tensor("\(prefix).2.weight", shape: [out, hidden, 1, 1]))
            bias = try w.tensor("\(prefix).2.bias", shape: [out])
        }

        func callAsFunction(_ x: Tensor) throws -> Tensor {
            try conv2d(second(first(x)), weights: weights, bias: bias)
        }
    }

    let classCount: Int
    let regMax: Int
    let maskCount: Int
    let strides: [Int]
    let box: [Branch], cls: [Branch], mask: [Branch]
    let proto: Proto?
    let dfl: DFL?

    /// - masks/protoChannels: Segment's `nm` and (already width-scaled) `npr`; 0 for Detect.
    init(_ w: any WeightSource, _ prefix: String, classCount nc: Int, regMax: Int, masks nm: Int, protoChannels npr: Int,
         inChannels ch: [Int], strides: [Int], act: Activation?) throws {
        guard !ch.isEmpty, ch.count == strides.count else { throw ModelError.malformedConfig("\(prefix): head has no inputs") }
        classCount = nc
        self.regMax = regMax
        maskCount = nm
        self.strides = strides
        let c2 = max(16, ch[0] / 4, regMax * 4), c3 = max(ch[0], min(nc, 100)), c4 = max(ch[0] / 4, nm)
        box = try ch.indices.map { try Branch(w, "\(prefix).cv2.\($0)", c1: ch[$0], hidden: c2, out: 4 * regMax, act: act) }
        cls = try ch.indices.map { try Branch(w, "\(prefix).cv3.\($0)", c1: ch[$0], hidden: c3, out: nc, act: act) }
        if nm > 0 {
            mask = try ch.indices.map { try Branch(w, "\(prefix).cv4.\($0)", c1: ch[$0], hidden: c4, out: nm, act: act) }
            proto = try Proto(w, "\(prefix).proto", c1: ch[0], hidden: npr, masks: nm, act: act)
        } else {
            mask = []
            proto = nil
        }
        dfl = regMax > 1 ? try DFL(w, "\(prefix).dfl", bins: regMax) : nil
    }

    func callAsFunction(_ features: [Tensor]) throws -> YOLOv8HeadOutput {
        guard features.count == box.count else {
            throw ModelError.malformedConfig("the head expects \(box.count) feature maps, got \(features.count)")
        }
        let sizes = features.map { ($0.shape[2], $0.shape[3]) }
        let anchors = sizes.reduce(0) { $0 + $1.0 * $1.1 }
        let boxLogits = try flattenLevels(features.indices.map { try box[$0](features[$0]) }, anchors: anchors)
        let classLogits = try flattenLevels(features.indices.map { try cls[$0](features[$0]) }, anchors: anchors)
        let coefficients = mask.isEmpty ? nil
            : try flattenLevels(features.indices.map { try mask[$0](features[$0]) }, anchors: anchors)
        let protos = try proto.map { try $0(features[0]) }

        let channels = 4 + classCount + maskCount
        let distances = try dfl?.distances(boxLogits, anchors: anchors) ?? boxLogits
        var scores = Tensor(shape: [classCount * anchors], storage: classLogits)
        scores.apply(.sigmoid)
        var out = [Float](repeating: 0, count: channels * anchors)
        out.withUnsafeMutableBufferPointer { o in
            distances.withUnsafeBufferPointer { d in
                decodeBoxes(d.baseAddress!, into: o.baseAddress!, anchors: anchors, sizes: sizes)
            }
            scores.storage.withUnsafeBufferPointer { (o.baseAddress! + 4 * anchors).update(from: $0.baseAddress!, count: $0.count) }
            coefficients?.withUnsafeBufferPointer { m in
                (o.baseAddress! + (4 + classCount) * anchors).update(from: m.baseAddress!, count: m.count)
            }
        }
        return YOLOv8HeadOutput(output: Tensor(shape: [1, channels, anchors], storage: out), protos: protos,
                                boxLogits: Tensor(shape: [1, 4 * regMax, anchors], storage: boxLogits),
                                classLogits: Tensor(shape: [1, classCount, anchors], storage: classLogits))
    }

    /// Per-level `[1, C, h, w]` maps as one `[C, anchors]` plane: anchors (y, x) per level, levels in order.
    private func flattenLevels(_ maps: [Tensor], anchors: Int) throws -> [Float] {
        let c = maps[0].shape[1]
        var out = [Float](repeating: 0, count: c * anchors)
        var offset = 0
        for m in maps {
            let cells = m.shape[2] * m.shape[3]
            m.storage.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for ch in 0..<c {
                        (dst.baseAddress! + ch * anchors + offset).update(from: src.baseAddress! + ch * cells, count: cells)
                    }
                }
            }
            offset += cells
        }
        return out
    }

    /// Side distances [4 x anchors] to xywh in input pixels (`dist2bbox(xywh=True) * stride`), anchor points at
    /// cell centres.
    private func decodeBoxes(_ distances: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, anchors: Int,
                             sizes: [(Int, Int)]) {
        var a = 0
        for (level, (h, w)) in sizes.enumerated() {
            let stride = Float(strides[level])
            for y in 0..<h {
                for x in 0..<w {
                    @inline(__always) func side(_ s: Int) -> Float { distances[s * anchors + a] }
                    let ax = Float(x) + 0.5, ay = Float(y) + 0.5
                    let x1 = ax - side(0), y1 = ay - side(1), x2 = ax + side(2), y2 = ay + side(3)
                    out[a] = (x1 + x2) / 2 * stride
                    out[anchors + a] = (y1 + y2) / 2 * stride
                    out[2 * anchors + a] = (x2 - x1) * stride
                    out[3 * anchors + a] = (y2 - y1) * stride
                    a += 1
                }
            }
        }
    }
}
