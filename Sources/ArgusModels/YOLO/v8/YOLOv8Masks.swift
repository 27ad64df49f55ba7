import ArgusDetection
import ArgusMask
import ArgusTensor
import Foundation

/// Ultralytics 8 instance masks at the original resolution (`retina_masks=True`: utils/ops.py
/// `process_mask_native` -> `scale_masks` -> threshold -> `crop_mask`):
/// logits = coefficients @ protos; if the letterbox border is not a whole number of proto pixels, bilinear
/// upsample by f in {2, 4} (align_corners=False); crop the letterbox content; bilinear resize to the image;
/// keep logit > 0 inside the box (x1 <= col < x2, y1 <= row < y2).
///
/// Everything outside the box is zero, so each mask is evaluated only on the box's pixels: the bilinear
/// taps of those output rows/columns select the upsampled pixels they read, whose taps select the proto
/// pixels, and only those logits are computed. The result streams into column-major RLE runs; no
/// full-image plane is ever made. The arithmetic per pixel is torch's generic bilinear kernel's
/// (interpolate along x, then along y, Float32), so windows give the same values as whole planes.
enum YOLOv8Masks {
    /// The resampling chain for one proto size and image size (shared by all detections of an image).
    struct Plan: Equatable {
        /// Upsampling factor before the crop (1, 2 or 4).
        let f: Int
        /// Proto size.
        let mh: Int, mw: Int
        /// Size after the f upsample.
        let upH: Int, upW: Int
        /// The upsampled grid already has the image's size: no crop, no resize (`scale_masks` returns early).
        let identity: Bool
        /// The letterbox content inside the upsampled grid.
        let top: Int, left: Int, cropH: Int, cropW: Int
        /// Original image size.
        let height: Int, width: Int

        init(mh: Int, mw: Int, height h0: Int, width w0: Int) {
            self.mh = mh; self.mw = mw; height = h0; width = w0
            // process_mask_native: the input-size letterbox padding, and the smallest f that crops it on whole pixels.
            let gain = min(Double(4 * mh) / Double(h0), Double(4 * mw) / Double(w0))
            let pad = (4 * mh - Self.roundedSide(h0, gain)) | (4 * mw - Self.roundedSide(w0, gain))
            f = 4 / Self.gcd(4, pad | (pad >> 1))
            upH = mh * f; upW = mw * f
            identity = upH == h0 && upW == w0
            // scale_masks: the content rectangle at the upsampled resolution.
            let g = min(Double(upH) / Double(h0), Double(upW) / Double(w0))
            cropH = Self.roundedSide(h0, g); cropW = Self.roundedSide(w0, g)
            top = Int((Double(upH - cropH) / 2 - 0.1).rounded(.toNearestOrEven))
            left = Int((Double(upW - cropW) / 2 - 0.1).rounded(.toNearestOrEven))
        }

        /// `max(round(side * gain), 1)` with Python's half-even round.
        static func roundedSide(_ side: Int, _ gain: Double) -> Int {
            max(Int((Double(side) * gain).rounded(.toNearestOrEven)), 1)
        }

        static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? abs(a) : gcd(b, a % b) }
    }

    /// One binary mask per box (original-image pixels), from `coefficients` (`[boxes, nm]` row-major) and
    /// `protos` `[1, nm, mh, mw]`. Detections are processed in parallel, each holding only its box's window.
    static func masks(coefficients: [Float], protos: Tensor, boxes: [Box], original: (width: Int, height: Int)) throws -> [RLE?] {
        let nm = protos.shape[1], mh = protos.shape[2], mw = protos.shape[3]
        guard coefficients.count == boxes.count * nm else {
            throw ModelError.malformedConfig("\(coefficients.count) mask coefficients for \(boxes.count) boxes of \(nm)")
        }
        let plan = Plan(mh: mh, mw: mw, height: original.height, width: original.width)
        var out = [RLE?](repeating: nil, count: boxes.count)
        protos.storage.withUnsafeBufferPointer { p in
            coefficients.withUnsafeBufferPointer { c in
                out.withUnsafeMutableBufferPointer { results in
                    let dst = results.baseAddress!
                    DispatchQueue.concurrentPerform(iterations: boxes.count) { i in
                        dst[i] = mask(coefficients: c.baseAddress! + i * nm, count: nm, protos: p.baseAddress!,
                                      box: boxes[i], plan: plan)
                    }
                }
            }
        }
        return out
    }

    /// One mask: the box's window through the resampling chain, thresholded into RLE runs.
    static func mask(coefficients coef: UnsafePointer<Float>, count nm: Int, protos: UnsafePointer<Float>,
                     box: Box, plan: Plan) -> RLE {
        let h0 = plan.height, w0 = plan.width
        // crop_mask: rows y1 <= r < y2, columns x1 <= c < x2 (float box).
        let rows = pixelRange(box.y1, box.y2, limit: h0), cols = pixelRange(box.x1, box.x2, limit: w0)
        guard !rows.isEmpty, !cols.isEmpty else { return RLE(height: h0, width: w0, counts: [UInt32(h0 * w0)]) }

        // Final resize taps (crop -> image), in upsampled-grid coordinates.
        let finalY: Taps?, finalX: Taps?
        let upRows: Range<Int>, upCols: Range<Int>
        if plan.identity {
            finalY = nil; finalX = nil
            upRows = rows; upCols = cols
        } else {
            let ty = Taps(input: plan.cropH, output: h0, scale: Float(plan.cropH) / Float(h0), range: rows, offset: plan.top)
            let tx = Taps(input: plan.cropW, output: w0, scale: Float(plan.cropW) / Float(w0), range: cols, offset: plan.left)
            finalY = ty; finalX = tx
            upRows = ty.span; upCols = tx.span
        }
        // f upsample taps (protos -> upsampled grid), F.interpolate(scale_factor=f): source scale 1 / f.
        let upY: Taps?, upX: Taps?
        let protoRows: Range<Int>, protoCols: Range<Int>
        if plan.f > 1 {
            let s = Float(1.0 / Double(plan.f))
            let ty = Taps(input: plan.mh, output: plan.upH, scale: s, range: upRows, offset: 0)
            let tx = Taps(input: plan.mw, output: plan.upW, scale: s, range: upCols, offset: 0)
            upY = ty; upX = tx
            protoRows = ty.span; protoCols = tx.span
        } else {
            upY = nil; upX = nil
            protoRows = upRows; protoCols = upCols
        }

        // Logits on the proto window: coef . protos[:, y, x].
        let pw = protoCols.count, ph = protoRows.count, plane = plan.mh * plan.mw
        var logits = [Float](repeating: 0, count: ph * pw)
        logits.withUnsafeMutableBufferPointer { l in
            for k in 0..<nm {
                let ck = coef[k]
                for y in 0..<ph {
                    let src = protos + k * plane + (protoRows.lowerBound + y) * plan.mw + protoCols.lowerBound
                    let dst = l.baseAddress! + y * pw
                    for x in 0..<pw { dst[x] += ck * src[x] }
                }
            }
        }
        // The upsampled window (rows upRows, cols upCols).
        let up: [Float]
        if let upY, let upX {
            up = resample(logits, width: pw, rowOrigin: protoRows.lowerBound, colOrigin: protoCols.lowerBound, ty: upY, tx: upX)
        } else {
            up = logits
        }

        var runs = RunBuilder()
        runs.push(0, cols.lowerBound * h0)
        let uw = upCols.count, rh = rows.count
        if let finalY, let finalX {
            // Interpolate along x once per (upsampled row, output column), stored column-major for the column walk.
            let uh = upRows.count
            var alongX = [Float](repeating: 0, count: cols.count * uh)
            up.withUnsafeBufferPointer { u in
                for (j, _) in cols.enumerated() {
                    let x0 = finalX.i0[j] - upCols.lowerBound, x1 = finalX.i1[j] - upCols.lowerBound
                    let l0 = finalX.l0[j], l1 = finalX.l1[j]
                    for r in 0..<uh {
                        let row = u.baseAddress! + r * uw
                        alongX[j * uh + r] = fma32(row[x0], l0, row[x1] * l1)
                    }
                }
            }
            for j in 0..<cols.count {
                runs.push(0, rows.lowerBound)
                let column = j * uh
                for r in 0..<rh {
                    let a = alongX[column + finalY.i0[r] - upRows.lowerBound]
                    let b = alongX[column + finalY.i1[r] - upRows.lowerBound]
                    runs.push(fma32(a, finalY.l0[r], b * finalY.l1[r]) > 0 ? 1 : 0, 1)
                }
                runs.push(0, h0 - rows.upperBound)
            }
        } else {
            for j in 0..<cols.count {
                runs.push(0, rows.lowerBound)
                for r in 0..<rh { runs.push(up[r * uw + j] > 0 ? 1 : 0, 1) }
                runs.push(0, h0 - rows.upperBound)
            }
        }
        runs.push(0, (w0 - cols.upperBound) * h0)
        return runs.finish(height: h0, width: w0)
    }

    /// Integer pixels p in 0..<limit with lo <= p < hi (Float comparisons, as crop_mask's arange vs box).
    static func pixelRange(_ lo: Float, _ hi: Float, limit: Int) -> Range<Int> {
        guard lo.isFinite, hi.isFinite, lo < hi else { return 0..<0 }
        let a = max(0, min(limit, Int(lo.rounded(.up)))), b = max(0, min(limit, Int(hi.rounded(.up))))
        return a < b ? a..<b : 0..<0
    }

    /// The window `tx` x `ty` of a bilinear resample of `src` (a window of `width` columns whose first pixel is
    /// (rowOrigin, colOrigin) in its grid), along x first then y as torch's generic kernel.
    static func resample(_ src: [Float], width: Int, rowOrigin: Int, colOrigin: Int, ty: Taps, tx: Taps) -> [Float] {
        let outW = tx.count, outH = ty.count
        let srcRows = src.count / width
        var alongX = [Float](repeating: 0, count: srcRows * outW)
        var out = [Float](repeating: 0, count: outH * outW)
        src.withUnsafeBufferPointer { s in
            for r in 0..<srcRows {
                let row = s.baseAddress! + r * width
                for j in 0..<outW {
                    alongX[r * outW + j] = fma32(row[tx.i0[j] - colOrigin], tx.l0[j], row[tx.i1[j] - colOrigin] * tx.l1[j])
                }
            }
        }
        for i in 0..<outH {
            let a = (ty.i0[i] - rowOrigin) * outW, b = (ty.i1[i] - rowOrigin) * outW
            let h0 = ty.l0[i], h1 = ty.l1[i]
            for j in 0..<outW { out[i * outW + j] = fma32(alongX[a + j], h0, alongX[b + j] * h1) }
        }
        return out
    }

    /// Bilinear (align_corners=False) source taps for a range of output indices: torch's
    /// `area_pixel_compute_source_index` and `guard_index_and_lambda` in Float32; indices shifted by `offset`
    /// (the crop's origin in the grid it is cut from).
    struct Taps {
        var i0: [Int] = [], i1: [Int] = [], l0: [Float] = [], l1: [Float] = []
        var count: Int { i0.count }
        /// The source indices read: lowest i0 to highest i1.
        var span: Range<Int> { (i0.min() ?? 0)..<((i1.max() ?? -1) + 1) }

        init(input: Int, output: Int, scale: Float, range: Range<Int>, offset: Int) {
            for d in range {
                var real = YOLOv8Masks.fma32(scale, Float(d) + 0.5, -0.5)
                if real < 0 { real = 0 }
                let idx = min(Int(real.rounded(.down)), input - 1)
                let lambda = min(max(real - Float(idx), 0), 1)
                i0.append(idx + offset)
                i1.append(idx + (idx < input - 1 ? 1 : 0) + offset)
                l1.append(lambda)
                l0.append(1 - lambda)
            }
        }
    }

    /// Column-major run lengths (COCO RLE counts, starting with a zero run) built pixel by pixel.
    struct RunBuilder {
        var counts: [UInt32] = []
        var current: UInt8 = 0
        var run = 0

        @inline(__always)
        mutating func push(_ bit: UInt8, _ length: Int) {
            guard length > 0 else { return }
            if bit != current { counts.append(UInt32(run)); run = 0; current = bit }
            run += length
        }

        mutating func finish(height: Int, width: Int) -> RLE {
            counts.append(UInt32(run))
            return RLE(height: height, width: width, counts: counts)
        }
    }

    /// a * b + c rounded once, as torch's bilinear kernels get it from FMA contraction (see ArgusTensor's
    /// `interpolateBilinear`): the Float product is exact in Double, so only the sum rounds.
    @inline(__always)
    static func fma32(_ a: Float, _ b: Float, _ c: Float) -> Float {
        Float(Double(a) * Double(b) + Double(c))
    }
}
