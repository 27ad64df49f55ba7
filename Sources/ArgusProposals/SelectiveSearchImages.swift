extension OpenCVColorConversion {
    /// `cvtColor(bgr, COLOR_BGR2GRAY)` for 8-bit images: OpenCV's 15-bit fixed point (0.299, 0.587, 0.114 as
    /// 9798, 19235, 3735), rounded half up. Checked against OpenCV on all 2^24 colours.
    public static func bgrToGray(_ image: ChannelImage) -> ChannelImage {
        precondition(image.channels == 3, "BGR to grey needs a 3-channel image")
        let n = image.width * image.height
        var out = [UInt8](repeating: 0, count: n)
        image.pixels.withUnsafeBufferPointer { src in
            for i in 0 ..< n {
                let b = Int(src[3 * i]), g = Int(src[3 * i + 1]), r = Int(src[3 * i + 2])
                out[i] = UInt8((b * 3735 + g * 19235 + r * 9798 + (1 << 14)) >> 15)
            }
        }
        return ChannelImage(width: image.width, height: image.height, channels: 1, pixels: out)
    }
}

extension ChannelImage {
    /// One channel as a 1-channel image (`cv::split`).
    func channel(_ c: Int) -> ChannelImage {
        precondition(c >= 0 && c < channels)
        let n = width * height
        var out = [UInt8](repeating: 0, count: n)
        for i in 0 ..< n { out[i] = pixels[i * channels + c] }
        return ChannelImage(width: width, height: height, channels: 1, pixels: out)
    }

    /// Interleaves 1-channel images of equal size (`cv::merge`).
    static func merging(_ planes: [ChannelImage]) -> ChannelImage {
        let first = planes[0], cn = planes.count, n = first.width * first.height
        var out = [UInt8](repeating: 0, count: n * cn)
        for (c, plane) in planes.enumerated() {
            precondition(plane.channels == 1 && plane.width == first.width && plane.height == first.height)
            for i in 0 ..< n { out[i * cn + c] = plane.pixels[i] }
        }
        return ChannelImage(width: first.width, height: first.height, channels: cn, pixels: out)
    }
}

/// The images selective search segments, as OpenCV's `switchToSelectiveSearchFast` / `...Quality` add them.
enum SelectiveSearchImages {
    /// Fast: HSV, Lab. Quality: HSV, Lab, grey (I), the *blue* channel of the BGR image, and R, G, I merged (rgI).
    ///
    /// The fourth is meant to be the hue channel (H), and OpenCV's source reads so: `split(hsv, channel)`,
    /// `addImage(channel[0])`. But the same `Mat channel[3]` then receives `split(base_image, channel)`, which
    /// writes into the existing buffers of the right size and type instead of allocating, and the image added
    /// shares channel[0]'s buffer, so by `process()` it holds blue. (Measured: with hue the box set differs from
    /// `switchToSelectiveSearchQuality`'s; with blue it is equal.)
    static func images(for bgr: ChannelImage, mode: SelectiveSearchMode) -> [ChannelImage] {
        let hsv = OpenCVColorConversion.bgrToHSV(bgr), lab = OpenCVColorConversion.bgrToLab(bgr)
        switch mode {
        case .fast:
            return [hsv, lab]
        case .quality:
            let gray = OpenCVColorConversion.bgrToGray(bgr)
            let rgI = ChannelImage.merging([bgr.channel(2), bgr.channel(1), gray])
            return [hsv, lab, gray, bgr.channel(0), rgI]
        }
    }
}
