extension RGBImage {
    /// Tints the pixels of an image-sized binary mask given as column-major run lengths (COCO RLE `counts`:
    /// zeros first, then alternating), blending `color` with `alpha`. Runs past the image are ignored.
    public mutating func blendColumnRuns(_ counts: [UInt32], color: RGBColor, alpha: Float = 0.5) {
        let a = min(max(alpha, 0), 1)
        let w = width, h = height, total = w * h
        pixels.withUnsafeMutableBufferPointer { p in
            var position = 0
            for (i, count) in counts.enumerated() {
                let end = min(total, position + Int(count))
                if i & 1 == 1 {
                    var q = position
                    while q < end {
                        let x = q / h, y = q - x * h
                        let j = (y * w + x) * 3
                        p[j] = blend(p[j], color.r, a); p[j + 1] = blend(p[j + 1], color.g, a); p[j + 2] = blend(p[j + 2], color.b, a)
                        q += 1
                    }
                }
                position = end
                if position >= total { break }
            }
        }
    }

    /// Tints every pixel with `palette[labels[i]]` (a row-major label map of the image's size), leaving pixels
    /// labelled `skip` (the background) and labels past the palette untouched.
    public mutating func blendLabels(_ labels: [UInt8], palette: [RGBColor], alpha: Float = 0.5, skip: UInt8? = 0) {
        guard labels.count == width * height else { return }
        let a = min(max(alpha, 0), 1)
        pixels.withUnsafeMutableBufferPointer { p in
            for (i, label) in labels.enumerated() where label != skip && Int(label) < palette.count {
                let c = palette[Int(label)], j = i * 3
                p[j] = blend(p[j], c.r, a); p[j + 1] = blend(p[j + 1], c.g, a); p[j + 2] = blend(p[j + 2], c.b, a)
            }
        }
    }

    /// Tints every pixel whose id (row-major, the image's size) has a colour in `colors`; others stay as they are.
    public mutating func blendIds(_ ids: [UInt32], colors: [UInt32: RGBColor], alpha: Float = 0.5) {
        guard ids.count == width * height else { return }
        let a = min(max(alpha, 0), 1)
        pixels.withUnsafeMutableBufferPointer { p in
            var last: UInt32 = 0, lastColor = colors[0]
            for (i, id) in ids.enumerated() {
                if id != last { last = id; lastColor = colors[id] }
                guard let c = lastColor else { continue }
                let j = i * 3
                p[j] = blend(p[j], c.r, a); p[j + 1] = blend(p[j + 1], c.g, a); p[j + 2] = blend(p[j + 2], c.b, a)
            }
        }
    }

    /// Draws a legend in the top-left corner: a colour swatch and a name per entry, on a dark translucent panel.
    public mutating func drawLegend(_ entries: [(name: String, color: RGBColor)], scale: Int = 1) {
        guard !entries.isEmpty else { return }
        let s = max(1, scale)
        let line = (BitmapFont.glyphHeight + 3) * s, swatch = BitmapFont.glyphHeight * s, pad = 2 * s
        let textWidth = entries.map { BitmapFont.size(of: $0.name, scale: s).width }.max() ?? 0
        fillRectangle(x1: 0, y1: 0, x2: 2 * pad + swatch + pad + textWidth, y2: 2 * pad + entries.count * line - 3 * s,
                      color: .black, alpha: 0.6)
        for (k, entry) in entries.enumerated() {
            let y = pad + k * line
            fillRectangle(x1: pad, y1: y, x2: pad + swatch, y2: y + swatch, color: entry.color)
            drawText(entry.name, x: 2 * pad + swatch, y: y, color: .white, scale: s)
        }
    }
}
