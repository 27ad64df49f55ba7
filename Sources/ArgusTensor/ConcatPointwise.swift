/// A 1x1 stride-1 convolution of the channel concatenation of `inputs` (same batch and plane size) without making
/// the concatenation: input i's channels are its run of the weight's columns (`argus_gemm_part`), in order, so
/// every output is the same chain of multiply-adds as `conv2d(concat(inputs, axis: 1), ...)`, the same bits.
/// YOLO's C2f, C3 and SPPF and DeepLabV3's ASPP end with such a conv.
public func conv2d(concatenated inputs: [Tensor], weights: ConvWeights, bias: Tensor? = nil,
                   activation: Activation? = nil) throws -> Tensor {
    let op = "conv2d(concatenated:)"
    guard let first = inputs.first, first.rank == 4 else {
        throw TensorError.invalidShape(op: op, message: "needs NCHW inputs, got \(inputs.map(\.shape))")
    }
    let (n, h, w) = (first.shape[0], first.shape[2], first.shape[3])
    for x in inputs where x.rank != 4 || x.shape[0] != n || x.shape[2] != h || x.shape[3] != w {
        throw TensorError.invalidShape(op: op, message: "inputs \(inputs.map(\.shape)) differ outside the channels")
    }
    let channels = inputs.map { $0.shape[1] }
    let s = weights.weight.shape
    guard s[2] == 1, s[3] == 1, weights.groups == 1 else {
        throw TensorError.invalidShape(op: op, message: "weight \(s) with groups \(weights.groups) is not a 1x1 conv")
    }
    let g = try ConvGeometry(input: [n, channels.reduce(0, +), h, w], weight: s, bias: bias?.shape, stride: (1, 1),
                             padding: (0, 0), dilation: (1, 1), groups: 1)
    guard inputs.count > 1, let packed = weights.packed, !weights.tapMajor else {
        return try conv2d(concat(inputs, axis: 1), weights: weights, bias: bias, activation: activation)
    }
    let plane = g.outPlane, m = g.outChannels
    let offsets = channels.indices.map { channels[..<$0].reduce(0, +) }
    // Columns of one block: every input's run of weight columns in turn, the sums going on through C.
    func block(_ sources: [UnsafePointer<Float>], image: Int, rows: Range<Int>, col0: Int, cols: Int,
               _ out: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>?) {
        for (i, source) in sources.enumerated() {
            ConvGEMM.multiplyPart(packed, rows: rows, start: offsets[i], length: channels[i], n: cols,
                                  b: source + image * channels[i] * plane + col0, ldb: plane,
                                  c: out + image * m * plane + col0, ldc: plane,
                                  first: i == 0, last: i == sources.count - 1, bias: b, activation: activation)
        }
    }
    return Tensor.uninitialized(shape: [n, m, h, w]) { out in
        withStoragePointers(inputs) { sources in
            withOptionalPointer(bias?.storage) { b in
                let threads = EngineThreads.current
                switch ConvPartition(g).kind {
                case .pointwiseRows(let perImage):
                    parallelBlocks(n * perImage, workers: threads) { _, i in
                        block(sources, image: i / perImage, rows: ConvPartition.rowSlice(i % perImage, of: perImage, m: m),
                              col0: 0, cols: plane, out.baseAddress!, b)
                    }
                case .pointwiseColumns(let width):
                    let perImage = (plane + width - 1) / width
                    parallelBlocks(n * perImage, workers: threads) { _, i in
                        let col0 = (i % perImage) * width
                        block(sources, image: i / perImage, rows: 0..<m, col0: col0, cols: min(width, plane - col0),
                              out.baseAddress!, b)
                    }
                default:
                    // Batches of small planes (RoIs): one image at a time.
                    parallelBlocks(n, workers: threads) { _, image in
                        block(sources, image: image, rows: 0..<m, col0: 0, cols: plane, out.baseAddress!, b)
                    }
                }
            }
        }
    }
}
