/// One validated RoI row of torchvision's [K, 5] layout: its batch image and box corners in
/// input-image coordinates (scaled to the feature map by the op's `spatialScale`).
struct RoIBox: Sendable {
    let batch: Int
    let x1, y1, x2, y2: Float
}

/// The validated arguments shared by roiAlign and roiPool.
struct RoIProblem {
    let n, c, h, w: Int
    let pooledH, pooledW: Int
    let boxes: [RoIBox]

    var bins: Int { pooledH * pooledW }
    var outputShape: [Int] { [boxes.count, c, pooledH, pooledW] }

    /// Checks every argument the torchvision kernels assume valid, so nothing below can trap:
    /// a rank-4 input, [K, 5] rois with an integral in-range batch index and finite corners,
    /// a positive output size, a finite positive scale, and an output the reference's `int`
    /// indexing could address (< 2^31 elements).
    init(op: String, input: Tensor, rois: Tensor, outputSize: (Int, Int), spatialScale: Float) throws {
        (n, c, h, w) = try input.nchw(op)
        (pooledH, pooledW) = outputSize
        guard pooledH >= 1, pooledW >= 1 else {
            throw TensorError.invalidArgument(op: op, message: "output size \(outputSize) must be positive")
        }
        guard spatialScale.isFinite, spatialScale > 0 else {
            throw TensorError.invalidArgument(op: op, message: "spatial scale \(spatialScale) must be finite and positive")
        }
        guard rois.rank == 2, rois.shape[1] == 5 else {
            throw TensorError.invalidShape(op: op, message: "rois must be [K, 5] (batch index, x1, y1, x2, y2), got \(rois.shape)")
        }
        let k = rois.shape[0]
        var total = 1
        for factor in [k, c, pooledH, pooledW] {
            let (product, overflow) = total.multipliedReportingOverflow(by: factor)
            guard !overflow, product <= Int(Int32.max) else {
                throw TensorError.invalidArgument(op: op, message:
                    "output [\(k), \(c), \(pooledH), \(pooledW)] has 2^31 or more elements")
            }
            total = product
        }
        var boxes: [RoIBox] = []
        boxes.reserveCapacity(k)
        for r in 0..<k {
            let row = rois.storage[(r * 5)..<(r * 5 + 5)]
            let b = row[r * 5]
            guard b.isFinite, b == b.rounded(.towardZero), b >= 0, b < Float(n) else {
                throw TensorError.invalidArgument(op: op, message:
                    "roi \(r): batch index \(b) is not an integer in 0..<\(n)")
            }
            guard row.allSatisfy(\.isFinite) else {
                throw TensorError.invalidArgument(op: op, message: "roi \(r): coordinates \(Array(row.dropFirst())) must be finite")
            }
            boxes.append(RoIBox(batch: Int(b), x1: row[r * 5 + 1], y1: row[r * 5 + 2], x2: row[r * 5 + 3], y2: row[r * 5 + 4]))
        }
        self.boxes = boxes
    }
}

/// Splits `count` RoIs into fixed blocks and runs `body(worker, roiRange)` for each on up to
/// `workers` threads. Every RoI's outputs are computed by one thread in a fixed order, so the
/// result does not depend on the thread count.
func forEachRoIBlock(_ count: Int, workers: Int, _ body: (_ worker: Int, _ rois: Range<Int>) -> Void) {
    let blockSize = 4
    let blocks = (count + blockSize - 1) / blockSize
    parallelBlocks(blocks, workers: workers) { worker, block in
        body(worker, (block * blockSize)..<min(count, (block + 1) * blockSize))
    }
}
