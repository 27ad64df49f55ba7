import ArgusImage
import ArgusTensor

/// The input step YOLOv5, YOLOv8 and their ONNX exports share (`check_img_size` / `check_imgsz`, then `LetterBox`).
enum YOLOInput {
    /// `size` rounded up to a multiple of the model's largest stride (at least one stride).
    static func strideMultiple(_ size: Int, stride: Int) -> Int {
        max((size + stride - 1) / stride * stride, stride)
    }

    /// Ultralytics' LetterBox into `shape` (`auto`: only up to a stride multiple; pad 114) as the RGB / 255 CHW
    /// input, with the geometry that maps boxes back.
    static func letterboxed(_ image: RGBImage, shape: (height: Int, width: Int), auto: Bool,
                            stride: Int) -> (input: Tensor, geometry: LetterboxGeometry) {
        let boxed = letterbox(image, newShape: shape, auto: auto, stride: stride, split: EngineSplit.rows)
        return (Tensor(shape: [1, 3, boxed.image.height, boxed.image.width],
                       storage: toCHWFloat(boxed.image, split: EngineSplit.pixels)), boxed.geometry)
    }
}
