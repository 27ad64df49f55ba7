@testable import ArgusModels
import ArgusONNX
import Foundation

/// A serialized ModelProto: wire format, graph, attributes, initializers, shape inference and planning — all of
/// `ONNXModel(bytes:)`, nothing run. Ultralytics metadata, when present, goes through the literal reader as
/// model loading does.
func fuzzONNX(_ bytes: [UInt8]) {
    guard let model = try? ONNXModel(bytes: bytes) else { return }
    for key in ["names", "imgsz", "stride"] {
        if let text = model.metadata[key] { _ = try? PythonLiteral.parse(text) }
    }
}

/// Python literals of ONNX metadata (`names`, `imgsz`) as `ast.literal_eval` reads them.
func fuzzPythonLiteral(_ bytes: [UInt8]) {
    guard let value = try? PythonLiteral.parse(String(decoding: bytes, as: UTF8.self)) else { return }
    _ = value.classNames
    _ = value.ints
}

/// A model manifest (`models/<name>.json`): strict Codable decoding with unknown-key checks, then validation.
func fuzzManifest(_ bytes: [UInt8]) {
    guard let manifest = try? ModelManifest.decode(Data(bytes), path: "/fuzz/manifest.json") else { return }
    require(manifest.name == "manifest", "validated a manifest named '\(manifest.name)' from manifest.json")
}
