extension RLE {
    /// Union (or intersection) of masks, run for run as pycocotools `merge` (`rleMerge`) computes it.
    /// Masks of different sizes give an empty 0x0 RLE, as in pycocotools.
    public static func merge(_ rles: [RLE], intersect: Bool = false) -> RLE {
        guard let first = rles.first else { return RLE(height: 0, width: 0, counts: []) }
        if rles.count == 1 { return first }
        var acc = first.counts
        for b in rles.dropFirst() {
            guard b.height == first.height, b.width == first.width else {
                return RLE(height: 0, width: 0, counts: [])
            }
            acc = mergeTwo(acc, b.counts, intersect: intersect)
        }
        return RLE(height: first.height, width: first.width, counts: acc)
    }

    /// Two-pointer walk over both run lists; a run is emitted whenever the combined value flips.
    private static func mergeTwo(_ a: [UInt32], _ b: [UInt32], intersect: Bool) -> [UInt32] {
        var out = [UInt32]()
        out.reserveCapacity(a.count + b.count)
        var ca: UInt32 = a.isEmpty ? 0 : a[0], cb: UInt32 = b.isEmpty ? 0 : b[0]
        var va = false, vb = false, v = false
        var ia = 1, ib = 1
        var cc: UInt32 = 0
        var ct: UInt32 = 1
        while ct > 0 {
            let c = min(ca, cb)
            cc &+= c
            ct = 0
            ca -= c
            if ca == 0 && ia < a.count { ca = a[ia]; ia += 1; va.toggle() }
            ct &+= ca
            cb -= c
            if cb == 0 && ib < b.count { cb = b[ib]; ib += 1; vb.toggle() }
            ct &+= cb
            let vp = v
            v = intersect ? (va && vb) : (va || vb)
            if v != vp || ct == 0 { out.append(cc); cc = 0 }
        }
        return out
    }
}
