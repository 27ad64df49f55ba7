/// torchvision.ops.roi_align (CPU kernel) on an NCHW input.
/// rois: [K, 5] rows (batch_index, x1, y1, x2, y2) in input-image coordinates, like torchvision.
/// Returns [K, C, outH, outW]: each bin averages bilinear samples on a `samplingRatio`² grid
/// (adaptive, ceil(roi size / output size), when `samplingRatio` <= 0); `aligned` shifts by half a pixel.
public func roiAlign(_ input: Tensor, rois: Tensor, outputSize: (Int, Int), spatialScale: Float,
                     samplingRatio: Int, aligned: Bool) throws -> Tensor {
    try roiAlign(input, rois: rois, outputSize: outputSize, spatialScale: spatialScale,
                 samplingRatio: samplingRatio, aligned: aligned, layout: .automatic)
}

/// Which memory layout the sampling loop reads; both give bit-identical results.
enum RoIAlignLayout {
    /// Channel blocks when the RoIs sample more than a quarter as many points as the input has
    /// pixels (copying a pixel costs about a quarter of a strided sample), else planar.
    case automatic
    /// Reads the NCHW input as is: one strided scalar tap per channel. Cheapest for a few RoIs.
    case planar
    /// Copies `channelBlock` channels at a time to pixel-major order (a few MB, cache-resident)
    /// and samples every RoI from it, so each tap is one short contiguous vector.
    case channelBlocks
}

/// roiAlign with the sampling layout chosen by the caller (tests run both).
func roiAlign(_ input: Tensor, rois: Tensor, outputSize: (Int, Int), spatialScale: Float,
              samplingRatio: Int, aligned: Bool, layout: RoIAlignLayout) throws -> Tensor {
    let op = "roiAlign"
    let p = try RoIProblem(op: op, input: input, rois: rois, outputSize: outputSize, spatialScale: spatialScale)
    let grids = try p.boxes.enumerated().map { index, box in
        try RoIAlignGrid(op: op, index: index, box: box, problem: p, spatialScale: spatialScale,
                         samplingRatio: samplingRatio, aligned: aligned)
    }
    if grids.isEmpty { return Tensor(zeros: p.outputShape) }
    let samples = grids.reduce(0.0) { $0 + Double($1.samplesPerChannel) }
    let blocked: Bool
    switch layout {
    case .automatic: blocked = p.c > 1 && 4 * samples >= Double(p.n * p.h * p.w)
    case .planar: blocked = false
    case .channelBlocks: blocked = true
    }
    let workers = workerCount(elements: Int(min(samples * Double(p.c), 1e15)), available: EngineThreads.current)
    return input.storage.withUnsafeBufferPointer { src in
        Tensor.uninitialized(shape: p.outputShape) { out in
            if blocked {
                roiAlignChannelBlocks(src.baseAddress!, grids, problem: p, out: out.baseAddress!, workers: workers)
            } else {
                roiAlignPlanar(src.baseAddress!, grids, problem: p, out: out.baseAddress!, workers: workers)
            }
        }
    }
}

/// Channels per block of the blocked layout: a 200x272 map block is 3.5 MB, and each tap reads 64 bytes.
let roiAlignChannelBlock = BlockVec.scalarCount
typealias BlockVec = SIMD16<Float>

/// Samples the NCHW input in place, RoIs split over workers.
private func roiAlignPlanar(_ src: UnsafePointer<Float>, _ grids: [RoIAlignGrid], problem p: RoIProblem,
                            out: UnsafeMutablePointer<Float>, workers: Int) {
    let plane = p.h * p.w
    let acc = UnsafeMutablePointer<Float>.allocate(capacity: workers * p.c)
    defer { acc.deallocate() }
    forEachRoIBlock(grids.count, workers: workers) { worker, range in
        for k in range {
            let image = SampledImage(base: src + p.boxes[k].batch * p.c * plane, width: p.w,
                                     pixelStride: 1, channelStride: plane)
            roiAlignOne(grids[k], problem: p, channels: p.c, image: image, acc: acc + worker * p.c,
                        out: out + k * p.c * p.bins)
        }
    }
}

/// Splits the channels into blocks; per block, copies them pixel-major (all images) and samples
/// every RoI. When there are fewer blocks than workers, the RoIs are split too.
private func roiAlignChannelBlocks(_ src: UnsafePointer<Float>, _ grids: [RoIAlignGrid], problem p: RoIProblem,
                                   out: UnsafeMutablePointer<Float>, workers: Int) {
    let plane = p.h * p.w, cb = min(p.c, roiAlignChannelBlock)
    let channelBlocks = (p.c + cb - 1) / cb
    let roiParts = min(grids.count, (workers + channelBlocks - 1) / channelBlocks)
    let blockCapacity = p.n * plane * cb
    let stride = (blockCapacity + cb + 15) / 16 * 16  // whole cache lines, so 16-channel taps are aligned
    let raw = UnsafeMutableRawPointer.allocate(byteCount: workers * stride * 4, alignment: 64)
    defer { raw.deallocate() }
    let scratch = raw.bindMemory(to: Float.self, capacity: workers * stride)
    parallelBlocks(channelBlocks * roiParts, workers: workers) { worker, item in
        let c0 = (item / roiParts) * cb, cn = min(cb, p.c - c0), part = item % roiParts
        let block = scratch + worker * stride, acc = block + blockCapacity
        for image in 0..<p.n {
            let s = src + (image * p.c + c0) * plane, d = block + image * plane * cn
            var p0 = 0
            while p0 < plane {  // 16 pixels at a time, so their cn outputs stay in L1
                let p1 = min(plane, p0 + 16)
                for ch in 0..<cn {
                    let run = s + ch * plane
                    for px in p0..<p1 { d[px * cn + ch] = run[px] }
                }
                p0 = p1
            }
        }
        for k in (part * grids.count / roiParts)..<((part + 1) * grids.count / roiParts) {
            let image = SampledImage(base: block + p.boxes[k].batch * plane * cn, width: p.w,
                                     pixelStride: cn, channelStride: 1)
            roiAlignOne(grids[k], problem: p, channels: cn, image: image, acc: acc,
                        out: out + (k * p.c + c0) * p.bins)
        }
    }
}

/// One batch image's values and how to step between pixels and channels.
private struct SampledImage {
    let base: UnsafePointer<Float>
    let width, pixelStride, channelStride: Int
}

/// Bilinear taps along one axis for one sample coordinate, as torchvision's
/// `pre_calc_for_bilinear_interpolate` derives them (Float32, same operations).
struct RoIAxisTap {
    var inside = false
    var low = 0, high = 0
    var frac: Float = 0, rest: Float = 0  // ly and hy = 1 - ly

    init(coordinate: Float, size: Int) {
        // torchvision: !(y >= -1 && y <= height) empties the sample (NaN included).
        guard coordinate >= -1, coordinate <= Float(size) else { return }
        var v = coordinate <= 0 ? 0 : coordinate
        low = Int(v)
        if low >= size - 1 {
            low = size - 1
            high = low
            v = Float(low)
        } else {
            high = low + 1
        }
        inside = true
        frac = v - Float(low)
        rest = 1 - frac
    }
}

/// One RoI's sampling grid: the taps of every (bin, grid) row and column and the bin divisor.
struct RoIAlignGrid {
    /// A sampling grid bigger than this (points per channel, summed over bins) is refused: the
    /// reference would allocate 32 bytes per point (2^24 points = 512 MB) before sampling.
    static let maxSamples = 1 << 24

    let gridH, gridW: Int
    let count: Float
    let rows: [RoIAxisTap]  // pooledH * gridH, bin-major
    let cols: [RoIAxisTap]  // pooledW * gridW
    let samplesPerChannel: Int

    init(op: String, index: Int, box: RoIBox, problem p: RoIProblem, spatialScale: Float,
         samplingRatio: Int, aligned: Bool) throws {
        let offset: Float = aligned ? 0.5 : 0
        let startW = box.x1 * spatialScale - offset
        let startH = box.y1 * spatialScale - offset
        let endW = box.x2 * spatialScale - offset
        let endH = box.y2 * spatialScale - offset
        var roiW = endW - startW, roiH = endH - startH
        if !aligned {
            // std::max(v, 1): keeps v unless v < 1 (so NaN stays NaN, as in the reference).
            if roiW < 1 { roiW = 1 }
            if roiH < 1 { roiH = 1 }
        }
        let binH = roiH / Float(p.pooledH), binW = roiW / Float(p.pooledW)
        func grid(_ size: Float, _ pooled: Int) throws -> Int {
            if samplingRatio > 0 {
                guard samplingRatio <= RoIAlignGrid.maxSamples else {
                    throw TensorError.invalidArgument(op: op, message: "sampling ratio \(samplingRatio) is too large")
                }
                return samplingRatio
            }
            let g = (size / Float(pooled)).rounded(.up)
            guard g <= Float(RoIAlignGrid.maxSamples) else {
                throw TensorError.invalidArgument(op: op, message:
                    "roi \(index): box \(box) at scale \(spatialScale) needs an adaptive sampling grid of \(g) per bin side")
            }
            // A negative grid (aligned, x2 < x1) samples nothing, like the reference's empty loops.
            return g <= 0 ? 0 : Int(g)
        }
        gridH = try grid(roiH, p.pooledH)
        gridW = try grid(roiW, p.pooledW)
        let perChannel = Double(gridH) * Double(gridW) * Double(p.bins)
        guard perChannel <= Double(RoIAlignGrid.maxSamples) else {
            throw TensorError.invalidArgument(op: op, message:
                "roi \(index): \(gridH)x\(gridW) samples per bin over \(p.bins) bins exceeds \(RoIAlignGrid.maxSamples) points")
        }
        samplesPerChannel = Int(perChannel)
        count = Float(max(gridH * gridW, 1))
        rows = RoIAlignGrid.taps(start: startH, bin: binH, pooled: p.pooledH, grid: gridH, size: p.h)
        cols = RoIAlignGrid.taps(start: startW, bin: binW, pooled: p.pooledW, grid: gridW, size: p.w)
    }

    /// Sample i of bin b sits at start + b * bin + (i + 0.5) * bin / grid, evaluated in that order.
    private static func taps(start: Float, bin: Float, pooled: Int, grid: Int, size: Int) -> [RoIAxisTap] {
        var taps: [RoIAxisTap] = []
        taps.reserveCapacity(pooled * grid)
        for b in 0..<pooled {
            for i in 0..<grid {
                let coordinate = start + Float(b) * bin + (Float(i) + 0.5) * bin / Float(grid)
                taps.append(RoIAxisTap(coordinate: coordinate, size: size))
            }
        }
        return taps
    }
}

/// All bins of one RoI for `c` channels; `out` is the RoI's [c, outH, outW] output (channel stride
/// outH * outW). Per output element the arithmetic is torchvision's exactly: sum += w1*v1 + w2*v2 +
/// w3*v3 + w4*v4 over the samples in row-major order, then sum / count. A full block of 16
/// contiguous channels keeps its sums in registers; otherwise `acc` holds one per channel.
private func roiAlignOne(_ g: RoIAlignGrid, problem p: RoIProblem, channels c: Int, image: SampledImage,
                         acc: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
    let bins = p.bins
    g.rows.withUnsafeBufferPointer { rows in
        g.cols.withUnsafeBufferPointer { cols in
            for ph in 0..<p.pooledH {
                let binRows = UnsafeBufferPointer(rebasing: rows[(ph * g.gridH)..<((ph + 1) * g.gridH)])
                for pw in 0..<p.pooledW {
                    let binCols = UnsafeBufferPointer(rebasing: cols[(pw * g.gridW)..<((pw + 1) * g.gridW)])
                    let dst = out + ph * p.pooledW + pw
                    if c == BlockVec.scalarCount && image.channelStride == 1 {
                        var sum = BlockVec()
                        forEachSample(binRows, binCols, image) { w1, w2, w3, w4, p1, p2, p3, p4 in
                            let v1 = UnsafeRawPointer(p1).loadUnaligned(as: BlockVec.self)
                            let v2 = UnsafeRawPointer(p2).loadUnaligned(as: BlockVec.self)
                            let v3 = UnsafeRawPointer(p3).loadUnaligned(as: BlockVec.self)
                            let v4 = UnsafeRawPointer(p4).loadUnaligned(as: BlockVec.self)
                            var term: BlockVec = w1 * v1 + w2 * v2
                            term = term + w3 * v3
                            term = term + w4 * v4
                            sum = sum + term
                        }
                        let mean = sum / BlockVec(repeating: g.count)
                        for ch in 0..<BlockVec.scalarCount { dst[ch * bins] = mean[ch] }
                    } else {
                        acc.initialize(repeating: 0, count: c)
                        forEachSample(binRows, binCols, image) { w1, w2, w3, w4, p1, p2, p3, p4 in
                            accumulateTaps(acc, channels: c, p1, p2, p3, p4, channelStride: image.channelStride,
                                           w1, w2, w3, w4)
                        }
                        for ch in 0..<c { dst[ch * bins] = acc[ch] / g.count }
                    }
                }
            }
        }
    }
}

/// Calls `body` with the weights and the first-channel addresses of the four taps of every sample
/// of one bin, in torchvision's order (grid rows, then columns). An emptied sample still reads
/// v[0] four times with weight 0, so NaN/inf there propagate as in torchvision.
@inline(__always)
private func forEachSample(_ rows: UnsafeBufferPointer<RoIAxisTap>, _ cols: UnsafeBufferPointer<RoIAxisTap>,
                           _ image: SampledImage,
                           _ body: (Float, Float, Float, Float, UnsafePointer<Float>, UnsafePointer<Float>,
                                    UnsafePointer<Float>, UnsafePointer<Float>) -> Void) {
    let s = image.pixelStride, base = image.base
    for ty in rows {
        let rowLow = ty.low * image.width, rowHigh = ty.high * image.width
        for tx in cols {
            if ty.inside && tx.inside {
                body(ty.rest * tx.rest, ty.rest * tx.frac, ty.frac * tx.rest, ty.frac * tx.frac,
                     base + (rowLow + tx.low) * s, base + (rowLow + tx.high) * s,
                     base + (rowHigh + tx.low) * s, base + (rowHigh + tx.high) * s)
            } else {
                body(0, 0, 0, 0, base, base, base, base)
            }
        }
    }
}

/// acc[ch] += w1*v1 + w2*v2 + w3*v3 + w4*v4 for every channel, left to right and without fused
/// multiply-adds (torchvision's CPU build has none), eight channels at a time when they are contiguous.
@inline(__always)
private func accumulateTaps(_ acc: UnsafeMutablePointer<Float>, channels: Int,
                            _ p1: UnsafePointer<Float>, _ p2: UnsafePointer<Float>,
                            _ p3: UnsafePointer<Float>, _ p4: UnsafePointer<Float>,
                            channelStride: Int, _ w1: Float, _ w2: Float, _ w3: Float, _ w4: Float) {
    var ch = 0
    if channelStride == 1 {
        let r1 = UnsafeRawPointer(p1), r2 = UnsafeRawPointer(p2), r3 = UnsafeRawPointer(p3), r4 = UnsafeRawPointer(p4)
        let ra = UnsafeMutableRawPointer(acc)
        while ch + vecWidth <= channels {
            let at = ch * 4
            let v1 = r1.loadUnaligned(fromByteOffset: at, as: Vec.self)
            let v2 = r2.loadUnaligned(fromByteOffset: at, as: Vec.self)
            let v3 = r3.loadUnaligned(fromByteOffset: at, as: Vec.self)
            let v4 = r4.loadUnaligned(fromByteOffset: at, as: Vec.self)
            var term: Vec = w1 * v1 + w2 * v2
            term = term + w3 * v3
            term = term + w4 * v4
            let sum: Vec = ra.loadUnaligned(fromByteOffset: at, as: Vec.self) + term
            ra.storeBytes(of: sum, toByteOffset: at, as: Vec.self)
            ch += vecWidth
        }
    }
    while ch < channels {
        let o = ch * channelStride
        var term: Float = w1 * p1[o] + w2 * p2[o]
        term = term + w3 * p3[o]
        term = term + w4 * p4[o]
        acc[ch] = acc[ch] + term
        ch += 1
    }
}
