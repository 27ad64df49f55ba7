/// torchvision.ops.roi_pool (CPU kernel) on an NCHW input.
/// rois: [K, 5] rows (batch_index, x1, y1, x2, y2) in input-image coordinates, like torchvision.
/// Returns [K, C, outH, outW]: the max over each bin's integer window; an empty window gives 0.
public func roiPool(_ input: Tensor, rois: Tensor, outputSize: (Int, Int), spatialScale: Float) throws -> Tensor {
    let op = "roiPool"
    let p = try RoIProblem(op: op, input: input, rois: rois, outputSize: outputSize, spatialScale: spatialScale)
    let windows = try p.boxes.enumerated().map { index, box in
        try RoIPoolWindows(op: op, index: index, box: box, problem: p, spatialScale: spatialScale)
    }
    if windows.isEmpty { return Tensor(zeros: p.outputShape) }
    let plane = p.h * p.w
    let work = windows.reduce(0.0) { $0 + $1.area } * Double(p.c)
    let workers = workerCount(elements: Int(min(work, 1e15)), available: EngineThreads.current)
    return input.storage.withUnsafeBufferPointer { src in
        Tensor.uninitialized(shape: p.outputShape) { out in
            let src = src.baseAddress!, out = out.baseAddress!
            forEachRoIBlock(windows.count, workers: workers) { _, range in
                for k in range {
                    let win = windows[k]
                    for ch in 0..<p.c {
                        let ip = src + (p.boxes[k].batch * p.c + ch) * plane
                        let op = out + (k * p.c + ch) * p.bins
                        for ph in 0..<p.pooledH {
                            let rows = win.rows[ph]
                            for pw in 0..<p.pooledW {
                                let cols = win.cols[pw]
                                // Strict `>` from -FLT_MAX, like the reference: NaN and -inf never win.
                                var best: Float = rows.isEmpty || cols.isEmpty ? 0 : -Float.greatestFiniteMagnitude
                                for y in rows {
                                    let row = ip + y * p.w
                                    for x in cols where row[x] > best { best = row[x] }
                                }
                                op[ph * p.pooledW + pw] = best
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One RoI's bin windows, clipped to the input: torchvision rounds the scaled corners to
/// integers (half away from zero), then bin i covers [floor(i * bin), ceil((i + 1) * bin)).
private struct RoIPoolWindows {
    /// Scaled corners beyond this magnitude are refused, so every integer the reference derives
    /// from them (size + 1, window ends) stays inside its 32-bit `int`.
    static let maxCoordinate: Float = 536_870_912  // 2^29

    let rows: [Range<Int>]  // per output row
    let cols: [Range<Int>]  // per output column
    /// Pixels visited per channel (about; bins overlap), for splitting the work.
    var area: Double { Double(rows.reduce(0) { $0 + $1.count }) * Double(cols.reduce(0) { $0 + $1.count }) + 1 }

    init(op: String, index: Int, box: RoIBox, problem p: RoIProblem, spatialScale: Float) throws {
        let scaled = [box.x1, box.y1, box.x2, box.y2].map { ($0 * spatialScale).rounded(.toNearestOrAwayFromZero) }
        guard scaled.allSatisfy({ abs($0) <= RoIPoolWindows.maxCoordinate }) else {
            throw TensorError.invalidArgument(op: op, message:
                "roi \(index): box \(box) at scale \(spatialScale) is beyond ±2^29 feature-map pixels")
        }
        let (startW, startH, endW, endH) = (Int(scaled[0]), Int(scaled[1]), Int(scaled[2]), Int(scaled[3]))
        rows = RoIPoolWindows.bins(start: startH, size: max(endH - startH + 1, 1), pooled: p.pooledH, limit: p.h)
        cols = RoIPoolWindows.bins(start: startW, size: max(endW - startW + 1, 1), pooled: p.pooledW, limit: p.w)
    }

    private static func bins(start: Int, size: Int, pooled: Int, limit: Int) -> [Range<Int>] {
        let bin = Float(size) / Float(pooled)
        return (0..<pooled).map { i in
            let lo = Int((Float(i) * bin).rounded(.down)) + start
            let hi = Int((Float(i + 1) * bin).rounded(.up)) + start
            let a = min(max(lo, 0), limit), b = min(max(hi, 0), limit)
            return a..<max(a, b)  // hi <= lo is an empty window
        }
    }
}
