extension RLE {
    /// Encodes a mask that is empty outside one rectangle: `region` holds the rectangle's pixels column-major
    /// (`region[(x - x0) * regionHeight + (y - y0)]`, nonzero = set) for x in x0..<x0+regionWidth, y in
    /// y0..<y0+regionHeight, which must lie inside the image. Equal to encoding the whole image, without
    /// materialising it (instance masks are pasted into their box only).
    public init(region: [UInt8], x0: Int, y0: Int, regionWidth: Int, regionHeight: Int, height: Int, width: Int) {
        precondition(region.count == regionWidth * regionHeight, "region size does not match its rectangle")
        precondition(x0 >= 0 && y0 >= 0 && x0 + regionWidth <= width && y0 + regionHeight <= height,
                     "region outside the image")
        var runs: [UInt32] = []
        var current: UInt8 = 0
        var run = 0
        @inline(__always) func push(_ bit: UInt8, _ length: Int) {
            guard length > 0 else { return }
            if bit != current { runs.append(UInt32(run)); run = 0; current = bit }
            run += length
        }
        push(0, x0 * height)
        for x in 0..<regionWidth {
            push(0, y0)
            let column = x * regionHeight
            for y in 0..<regionHeight { push(region[column + y] != 0 ? 1 : 0, 1) }
            push(0, height - y0 - regionHeight)
        }
        push(0, (width - x0 - regionWidth) * height)
        runs.append(UInt32(run))
        self.init(height: height, width: width, counts: runs)
    }
}
