import ArgusImage
import Foundation

/// A square matrix of values in [0, 1] as a heat map: white to blue, rows labelled on the left, columns along the
/// bottom (turned a quarter), values written in the cells when they are large enough to hold them.
public struct MatrixPlot: Sendable {
    public var title: String
    public var rowLabel: String
    public var columnLabel: String
    public var labels: [String]
    /// `values[row][column]`, each in [0, 1].
    public var values: [[Double]]

    public init(title: String, rowLabel: String, columnLabel: String, labels: [String], values: [[Double]]) {
        self.title = title; self.rowLabel = rowLabel; self.columnLabel = columnLabel; self.labels = labels; self.values = values
    }

    static func shade(_ v: Double) -> RGBColor {
        let t = min(max(v, 0), 1)
        func mix(_ a: Double, _ b: Double) -> UInt8 { UInt8((a + (b - a) * t).rounded()) }
        return RGBColor(mix(247, 8), mix(251, 48), mix(255, 107))  // white to dark blue
    }

    public func render() -> RGBImage {
        let n = labels.count
        let cell = max(8, min(60, 900 / max(n, 1)))
        let labelScale = cell >= 16 ? 2 : 1, titleScale = 2
        let glyph = BitmapFont.glyphHeight * labelScale, titleGlyph = BitmapFont.glyphHeight * titleScale
        let longest = labels.map { BitmapFont.size(of: $0, scale: labelScale).width }.max() ?? 0
        let left = 20 + titleGlyph + 10 + longest + 8, top = 30 + titleGlyph + 20
        let side = cell * n
        let width = left + side + 30, height = top + side + 8 + longest + 20 + titleGlyph + 20
        var image = RGBImage(width: max(width, 300), height: height, fill: (255, 255, 255))
        let ink = RGBColor(30, 35, 42)

        for (r, row) in values.enumerated() {
            for (c, v) in row.enumerated() {
                let x = left + c * cell, y = top + r * cell
                image.fillRectangle(x1: x, y1: y, x2: x + cell, y2: y + cell, color: Self.shade(v))
                guard v > 0.005 else { continue }
                let text = String(format: "%.2f", v).replacingOccurrences(of: "0.", with: ".")
                let size = BitmapFont.size(of: text, scale: 1)
                if size.width + 2 <= cell && size.height + 2 <= cell {
                    image.drawText(text, x: x + (cell - size.width) / 2, y: y + (cell - size.height) / 2,
                                   color: Self.shade(v).contrasting, scale: 1)
                }
            }
        }
        image.strokeRectangle(x1: left, y1: top, x2: left + side - 1, y2: top + side - 1, color: ink, thickness: 1)
        for (i, label) in labels.enumerated() {
            let size = BitmapFont.size(of: label, scale: labelScale)
            image.drawText(label, x: left - 8 - size.width, y: top + i * cell + (cell - glyph) / 2, color: ink, scale: labelScale)
            // Read upwards, each ending next to the matrix.
            image.drawTextRotated(label, x: left + i * cell + (cell - glyph) / 2, y: top + side + 8, color: ink, scale: labelScale)
        }
        let titleSize = BitmapFont.size(of: title, scale: titleScale)
        image.drawText(title, x: max(4, (image.width - titleSize.width) / 2), y: 20, color: ink, scale: titleScale)
        let columnSize = BitmapFont.size(of: columnLabel, scale: titleScale)
        image.drawText(columnLabel, x: left + (side - columnSize.width) / 2, y: top + side + 8 + longest + 12, color: ink, scale: titleScale)
        let rowSize = BitmapFont.size(of: rowLabel, scale: titleScale)
        image.drawTextRotated(rowLabel, x: 20, y: top + (side - rowSize.width) / 2, color: ink, scale: titleScale)
        return image
    }
}
