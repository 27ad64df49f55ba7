import CDefaultModel

/// The model Argus serves and detects with when no model is given: YOLOX-Nano, COCO's 80 classes, 416x416
/// (models/yolox_nano.onnx, Apache-2.0; provenance in models/yolox_nano.md), compiled into the binary.
public enum DefaultModel {
    public static let name = "yolox_nano"

    /// The ONNX file's bytes, as built into this binary.
    public static var bytes: [UInt8] {
        Array(UnsafeBufferPointer(start: argus_default_model_bytes(), count: argus_default_model_size()))
    }

    public static func load(name: String = DefaultModel.name) throws -> LoadedModel {
        try ModelLoader.loadONNX(bytes: bytes, name: name, source: "the built-in default model (models/yolox_nano.onnx)")
    }
}
