extension RLE {
    /// Rasterises parts with holes (the inverse of `MaskPolygons.trace`): the union over parts of
    /// (exterior minus the union of its holes), each ring rasterised as pycocotools `frPyObjects` does.
    /// An empty list gives an empty mask; a ring with an odd count or fewer than 3 vertices throws.
    public init(polygons: [MaskPolygon], height: Int, width: Int) throws {
        let (pixels, overflow) = height.multipliedReportingOverflow(by: width)
        guard height >= 0, width >= 0, !overflow, pixels <= Int(UInt32.max) else {
            throw MaskError.badSize(height: height, width: width)
        }
        let empty = RLE(height: height, width: width, counts: [UInt32(pixels)])
        guard !polygons.isEmpty else { self = empty; return }
        guard height > 0, width > 0 else { throw MaskError.badSize(height: height, width: width) }
        func ring(_ r: [Double]) throws -> RLE {
            guard r.count % 2 == 0, r.count >= 6 else {
                throw MaskError.badPolygon("a ring needs an even count of at least 6 numbers (3 vertices), got \(r.count)")
            }
            return try RLE(polygon: r, height: height, width: width)
        }
        var parts = [RLE]()
        parts.reserveCapacity(polygons.count)
        for polygon in polygons {
            var part = try ring(polygon.exterior)
            if !polygon.holes.isEmpty {
                let holes = RLE.merge(try polygon.holes.map(ring))
                part = RLE.merge([part, holes.complemented], intersect: true)
            }
            parts.append(part)
        }
        self = RLE.merge(parts)
    }

    /// The mask with every pixel flipped (runs shifted by one position: a leading empty zero run is added or removed).
    public var complemented: RLE {
        guard let first = counts.first else { return self }
        if first == 0 && counts.count > 1 { return RLE(height: height, width: width, counts: Array(counts.dropFirst())) }
        return RLE(height: height, width: width, counts: [0] + counts)
    }
}
