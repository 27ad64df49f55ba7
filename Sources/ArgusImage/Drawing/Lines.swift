extension RGBImage {
    /// Draws the segment from (x0, y0) to (x1, y1) (Bresenham), each step a `thickness`-wide square pen (clipped).
    public mutating func drawLine(x0: Int, y0: Int, x1: Int, y1: Int, color: RGBColor, thickness: Int = 1, alpha: Float = 1) {
        let t = max(1, thickness), half = (t - 1) / 2
        let dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var x = x0, y = y0, error = dx + dy
        var steps = 0
        let limit = dx - dy
        while steps <= limit {
            fillRectangle(x1: x - half, y1: y - half, x2: x - half + t, y2: y - half + t, color: color, alpha: alpha)
            if x == x1 && y == y1 { break }
            let e2 = 2 * error
            if e2 >= dy { error += dy; x += sx }
            if e2 <= dx { error += dx; y += sy }
            steps += 1
        }
    }

    /// Draws `text` turned a quarter left (read from bottom to top), its glyphs' top-left corner at (x, y + width):
    /// the text occupies [x, x + glyph height) x [y, y + text width).
    public mutating func drawTextRotated(_ text: String, x: Int, y: Int, color: RGBColor, scale: Int = 1) {
        let s = max(1, scale), length = BitmapFont.size(of: text, scale: s).width
        var penY = y + length
        for character in text {
            let rows = BitmapFont.rows(for: character)
            for (row, bits) in rows.enumerated() {
                for column in 0..<BitmapFont.glyphWidth where bits & (1 << (BitmapFont.glyphWidth - 1 - column)) != 0 {
                    // Font pixel (column, row) goes to (row, -column) from the pen.
                    let px = x + row * s, py = penY - (column + 1) * s
                    fillRectangle(x1: px, y1: py, x2: px + s, y2: py + s, color: color)
                }
            }
            penY -= (BitmapFont.glyphWidth + 1) * s
        }
    }
}
