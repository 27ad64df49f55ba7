/// Colour maps for label-map PNGs.
public enum SegmentationPalette {
    /// The PASCAL VOC colormap (the devkit's `labelcolormap`, also used by torchvision's VOC tools):
    /// the bits of the class index are dealt round-robin to R, G, B, most significant output bit first.
    /// Entry 0 is black, 1 is (128, 0, 0), 15 (person) is (192, 128, 128), 255 is (224, 224, 192).
    public static func pascalVOC(count: Int = 256) -> [RGBColor] {
        guard count > 0 else { return [] }
        return (0 ..< count).map { index in
            var r = 0, g = 0, b = 0
            var c = index
            for j in 0 ..< 8 {
                r |= (c & 1) << (7 - j)
                g |= ((c >> 1) & 1) << (7 - j)
                b |= ((c >> 2) & 1) << (7 - j)
                c >>= 3
            }
            return RGBColor(UInt8(r), UInt8(g), UInt8(b))
        }
    }
}
