import ArgusImage

/// A line chart on [0, 1] x [0, 1] drawn into an RGB image with Argus's bitmap font: a framed plot area with a grid
/// every 0.1, tick labels every 0.2, a title, axis labels, and a legend of the series that have a name.
public struct LinePlot: Sendable {
    public struct Series: Sendable {
        public var points: [(x: Double, y: Double)]
        public var color: RGBColor
        public var thickness: Int
        /// Shown in the legend when not nil.
        public var name: String?

        public init(points: [(x: Double, y: Double)], color: RGBColor, thickness: Int = 1, name: String? = nil) {
            self.points = points; self.color = color; self.thickness = thickness; self.name = name
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series] = []

    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
    }

    static let grid = RGBColor(225, 229, 234), ink = RGBColor(30, 35, 42), muted = RGBColor(90, 98, 108)

    /// The chart as an image of `width` x `height` pixels.
    public func render(width: Int = 900, height: Int = 700) -> RGBImage {
        var image = RGBImage(width: width, height: height, fill: (255, 255, 255))
        let scale = 2
        let glyph = BitmapFont.glyphHeight * scale
        let left = 30 + glyph + 5 * 6 * scale, right = width - 30, top = 30 + glyph + 20, bottom = height - (40 + 2 * glyph)
        let plotWidth = right - left, plotHeight = bottom - top
        func px(_ x: Double) -> Int { left + Int((min(max(x, 0), 1) * Double(plotWidth)).rounded()) }
        func py(_ y: Double) -> Int { bottom - Int((min(max(y, 0), 1) * Double(plotHeight)).rounded()) }

        for i in 0...10 {
            let v = Double(i) / 10
            image.drawLine(x0: px(v), y0: top, x1: px(v), y1: bottom, color: Self.grid)
            image.drawLine(x0: left, y0: py(v), x1: right, y1: py(v), color: Self.grid)
            guard i % 2 == 0 else { continue }
            let tick = String(format: "%.1f", v), size = BitmapFont.size(of: tick, scale: scale)
            image.drawText(tick, x: px(v) - size.width / 2, y: bottom + 10, color: Self.muted, scale: scale)
            image.drawText(tick, x: left - 10 - size.width, y: py(v) - size.height / 2, color: Self.muted, scale: scale)
        }
        for s in series {
            for (a, b) in zip(s.points, s.points.dropFirst()) {
                image.drawLine(x0: px(a.x), y0: py(a.y), x1: px(b.x), y1: py(b.y), color: s.color, thickness: s.thickness)
            }
        }
        image.strokeRectangle(x1: left, y1: top, x2: right, y2: bottom, color: Self.ink, thickness: 1)

        let titleSize = BitmapFont.size(of: title, scale: scale)
        image.drawText(title, x: max(4, (width - titleSize.width) / 2), y: 20, color: Self.ink, scale: scale)
        let xSize = BitmapFont.size(of: xLabel, scale: scale)
        image.drawText(xLabel, x: left + (plotWidth - xSize.width) / 2, y: bottom + 20 + glyph, color: Self.ink, scale: scale)
        let ySize = BitmapFont.size(of: yLabel, scale: scale)
        image.drawTextRotated(yLabel, x: 20, y: top + (plotHeight - ySize.width) / 2, color: Self.ink, scale: scale)

        // The legend: bottom-left inside the plot, where precision-recall and confidence curves leave room.
        let named = series.filter { $0.name != nil }
        let rowHeight = glyph + 8
        let legendWidth = 40 + (named.map { BitmapFont.size(of: $0.name!, scale: scale).width }.max() ?? 0)
        let legendTop = bottom - 12 - rowHeight * named.count
        if !named.isEmpty {
            image.fillRectangle(x1: left + 10, y1: legendTop - 6, x2: left + 22 + legendWidth, y2: bottom - 6, color: .white, alpha: 0.9)
            image.strokeRectangle(x1: left + 10, y1: legendTop - 6, x2: left + 22 + legendWidth, y2: bottom - 6, color: Self.grid, thickness: 1)
        }
        for (i, s) in named.enumerated() {
            let y = legendTop + i * rowHeight + glyph / 2
            image.drawLine(x0: left + 18, y0: y, x1: left + 44, y1: y, color: s.color, thickness: max(2, s.thickness))
            image.drawText(s.name!, x: left + 52, y: y - glyph / 2, color: Self.ink, scale: scale)
        }
        return image
    }
}
