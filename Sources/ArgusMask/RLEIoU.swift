extension RLE {
    /// Common and union pixel counts of two masks of the same size, by walking both run lists.
    @inlinable
    public static func intersectionAndUnion(_ a: RLE, _ b: RLE) -> (intersection: Int, union: Int) {
        a.counts.withUnsafeBufferPointer { pa in
            b.counts.withUnsafeBufferPointer { pb in
                var ca = pa.isEmpty ? 0 : Int(pa[0]), cb = pb.isEmpty ? 0 : Int(pb[0])
                var va = false, vb = false
                var ia = 1, ib = 1
                var inter = 0, uni = 0
                while true {
                    let c = min(ca, cb)
                    if va || vb { uni += c; if va && vb { inter += c } }
                    ca -= c
                    if ca == 0 && ia < pa.count { ca = Int(pa[ia]); ia += 1; va.toggle() }
                    cb -= c
                    if cb == 0 && ib < pb.count { cb = Int(pb[ib]); ib += 1; vb.toggle() }
                    if ca + cb == 0 { break }
                }
                return (inter, uni)
            }
        }
    }

    /// Mask IoU as pycocotools `rleIou`: 0 when the tight boxes do not overlap or nothing is common,
    /// -1 for masks of different sizes, and intersection over the detection's area for a crowd `gt`.
    public static func iou(dt: RLE, gt: RLE, crowd: Bool) -> Double {
        iou(dt: dt, dtBox: dt.boundingBox, gt: gt, gtBox: gt.boundingBox, crowd: crowd)
    }

    /// `iou(dt:gt:crowd:)` with the masks' `boundingBox` values precomputed by the caller.
    @inlinable
    public static func iou(dt: RLE, dtBox: BoxXYWH, gt: RLE, gtBox: BoxXYWH, crowd: Bool) -> Double {
        // pycocotools first computes box IoU of the tight boxes and only looks at pixels where it is > 0.
        if !(boxIoU(dtBox, gtBox, crowd: crowd) > 0) { return 0 }
        if dt.height != gt.height || dt.width != gt.width { return -1 }
        let (i, u) = intersectionAndUnion(dt, gt)
        if i == 0 { return 0 }
        let denom = crowd ? dt.area : u
        return Double(i) / Double(denom)
    }
}
