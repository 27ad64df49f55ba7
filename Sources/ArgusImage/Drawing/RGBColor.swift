/// An 8-bit RGB color for drawing.
public struct RGBColor: Sendable, Equatable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    public static let white = RGBColor(255, 255, 255)
    public static let black = RGBColor(0, 0, 0)

    /// A color per class index, from a fixed 20-color palette of well-separated hues.
    public static func forClass(_ index: Int) -> RGBColor {
        let palette: [RGBColor] = [
            RGBColor(255, 56, 56), RGBColor(255, 157, 151), RGBColor(255, 112, 31), RGBColor(255, 178, 29),
            RGBColor(207, 210, 49), RGBColor(72, 249, 10), RGBColor(146, 204, 23), RGBColor(61, 219, 134),
            RGBColor(26, 147, 52), RGBColor(0, 212, 187), RGBColor(44, 153, 168), RGBColor(0, 194, 255),
            RGBColor(52, 69, 147), RGBColor(100, 115, 255), RGBColor(0, 24, 236), RGBColor(132, 56, 255),
            RGBColor(82, 0, 133), RGBColor(203, 56, 255), RGBColor(255, 149, 200), RGBColor(255, 55, 199),
        ]
        return palette[((index % palette.count) + palette.count) % palette.count]
    }

    /// Black or white, whichever reads better on this color (ITU-R BT.601 luma).
    public var contrasting: RGBColor {
        let luma = 299 * Int(r) + 587 * Int(g) + 114 * Int(b)
        return luma > 140_000 ? .black : .white
    }
}
