import ArgusTensor

/// The loops behind DynamicQuantizeLinear and ConvInteger's input conversion, written as plain
/// element loops over raw pointers so the release build vectorizes them.

/// min(0, min x) and max(0, max x) over `v` (eight running lanes, combined at the end).
func rangeIncludingZero(_ v: UnsafeBufferPointer<Float>) -> (lo: Float, hi: Float) {
    let n = v.count, p = v.baseAddress!
    var lo = [Float](repeating: 0, count: 8), hi = lo
    lo.withUnsafeMutableBufferPointer { l in
        hi.withUnsafeMutableBufferPointer { h in
            var i = 0
            while i + 8 <= n {
                for k in 0..<8 {
                    let x = p[i + k]
                    l[k] = x < l[k] ? x : l[k]
                    h[k] = x > h[k] ? x : h[k]
                }
                i += 8
            }
            while i < n {
                l[0] = Swift.min(l[0], p[i]); h[0] = Swift.max(h[0], p[i]); i += 1
            }
        }
    }
    return (lo.min()!, hi.max()!)
}

/// q = clamp(round-half-even(x / scale) + zp, 0, 255) into `out` (NaN -> 0).
func quantizeLoop(_ v: UnsafeBufferPointer<Float>, scale: Float, zeroPoint: Float, into out: UnsafeMutablePointer<UInt8>) {
    guard let p = v.baseAddress else { return }
    parallelSlices(v.count) { range in
        for i in range {
            var q = (p[i] / scale).rounded(.toNearestOrEven) + zeroPoint
            q = q >= 0 ? q : 0
            q = q <= 255 ? q : 255
            out[i] = UInt8(q)
        }
    }
}

/// Float(q) - zp for every byte (exact: both are small integers).
func centreLoop(_ q: UnsafeBufferPointer<UInt8>, zeroPoint: Float, into out: UnsafeMutablePointer<Float>) {
    guard let p = q.baseAddress else { return }
    parallelSlices(q.count) { range in
        for i in range { out[i] = Float(p[i]) - zeroPoint }
    }
}
