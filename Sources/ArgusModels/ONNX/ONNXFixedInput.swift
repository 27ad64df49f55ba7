/// ONNX exports with a static input shape run at that size only.
enum ONNXFixedInput {
    /// Refuses a requested `imgsz` other than the export's own (a 400 over HTTP), rather than resizing silently.
    static func check(_ imageSize: Int, width: Int, height: Int) throws {
        guard imageSize == max(width, height) else {
            throw ModelError.invalidOption("imgsz: this ONNX model has a fixed \(width)x\(height) input; "
                + "omit imgsz or pass \(max(width, height))")
        }
    }
}
