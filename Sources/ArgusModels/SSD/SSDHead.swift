import ArgusTensor

/// torchvision's SSDHead (a 3x3 conv per map) or SSDLiteHead (per map a 3x3 depthwise conv with batch norm and
/// ReLU6, then a 1x1 conv): class logits and box deltas for every default box.
struct SSDHead {
    /// One map's predictor: `head.<classification|regression>_head.module_list.<i>`.
    struct Predictor {
        let depthwise: ConvNormActivation?
        let output: ConvNormActivation

        init(_ w: StateDictReader, prefix: String, inChannels: Int, outChannels: Int, separable: Bool) throws {
            if separable {
                depthwise = try ConvNormActivation(w, conv: "\(prefix).0.0", norm: "\(prefix).0.1", inChannels: inChannels,
                                                   outChannels: inChannels, kernel: 3, groups: inChannels, activation: .relu6)
                output = try ConvNormActivation(w, conv: "\(prefix).1", norm: nil, inChannels: inChannels,
                                                outChannels: outChannels, kernel: 1, activation: nil)
            } else {
                depthwise = nil
                output = try ConvNormActivation(w, conv: prefix, norm: nil, inChannels: inChannels, outChannels: outChannels,
                                                kernel: 3, activation: nil)
            }
        }

        func callAsFunction(_ x: Tensor) throws -> Tensor { try output(try depthwise.map { try $0(x) } ?? x) }
    }

    let classification: [Predictor]
    let regression: [Predictor]
    let numClasses: Int
    let anchorsPerLocation: [Int]

    init(_ w: StateDictReader, inChannels: [Int], anchorsPerLocation: [Int], numClasses: Int, separable: Bool) throws {
        classification = try zip(inChannels, anchorsPerLocation).enumerated().map { i, c in
            try Predictor(w, prefix: "head.classification_head.module_list.\(i)", inChannels: c.0,
                          outChannels: c.1 * numClasses, separable: separable)
        }
        regression = try zip(inChannels, anchorsPerLocation).enumerated().map { i, c in
            try Predictor(w, prefix: "head.regression_head.module_list.\(i)", inChannels: c.0, outChannels: c.1 * 4,
                          separable: separable)
        }
        self.numClasses = numClasses
        self.anchorsPerLocation = anchorsPerLocation
    }

    /// Logits [boxes, numClasses] and deltas [boxes, 4] in default-box order: maps in turn, each (y, x, box),
    /// as torchvision's view(N, A, K, H, W).permute(0, 3, 4, 1, 2) lays them out.
    func callAsFunction(_ features: [Tensor]) throws -> (logits: Tensor, deltas: Tensor) {
        var logits: [Float] = [], deltas: [Float] = []
        for (i, f) in features.enumerated() {
            let a = anchorsPerLocation[i]
            append(try classification[i](f), columns: numClasses, anchors: a, to: &logits)
            append(try regression[i](f), columns: 4, anchors: a, to: &deltas)
        }
        return (Tensor(shape: [logits.count / numClasses, numClasses], storage: logits),
                Tensor(shape: [deltas.count / 4, 4], storage: deltas))
    }

    /// [1, A * K, H, W] -> rows (y, x, a) of K values.
    private func append(_ t: Tensor, columns k: Int, anchors a: Int, to out: inout [Float]) {
        let plane = t.shape[2] * t.shape[3]
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: plane * a * k))
        out.withUnsafeMutableBufferPointer { o in
            t.storage.withUnsafeBufferPointer { s in
                for ch in 0..<(a * k) {
                    let row = ch * plane
                    for p in 0..<plane { o[start + p * a * k + ch] = s[row + p] }
                }
            }
        }
    }
}
