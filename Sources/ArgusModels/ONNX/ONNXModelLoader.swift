import ArgusONNX

extension ModelLoader {
    /// Whether a path names an ONNX file (by its extension, as ONNX has no magic number).
    public static func isONNX(_ path: String) -> Bool {
        path.lowercased().hasSuffix(".onnx")
    }

    /// Loads an ONNX export and recognises its family: Ultralytics (YOLOv8-style detect/segment, from its
    /// metadata) or YOLOX (one [1, rows, 5 + classes] output over the 8/16/32 grids).
    static func loadONNX(contentsOf path: String, name: String) throws -> LoadedModel {
        let graph: ONNXModel
        do {
            graph = try ONNXModel(contentsOf: path)
        } catch let error as ONNXError {
            throw ModelError.unsupportedCheckpoint("\(path): \(error)")
        }
        return try loadONNX(graph, name: name, path: path)
    }

    /// An ONNX model held in memory (the built-in default model); `source` names it in messages.
    static func loadONNX(bytes: [UInt8], name: String, source: String) throws -> LoadedModel {
        let graph: ONNXModel
        do { graph = try ONNXModel(bytes: bytes) } catch let error as ONNXError {
            throw ModelError.unsupportedCheckpoint("\(source): \(error)")
        }
        return try loadONNX(graph, name: name, path: source)
    }

    private static func loadONNX(_ graph: ONNXModel, name: String, path: String) throws -> LoadedModel {
        if let family = ModelFamilies.all.first(where: { $0.recognizesONNX?(graph) == true }), let load = family.loadONNX {
            return try load(graph, name)
        }
        throw ModelError.unsupportedCheckpoint("\(path) is neither an Ultralytics export (no 'task'/'names' metadata) "
            + "nor a YOLOX export (one input [1, 3, H, W] and one output [1, rows, 5 + classes]); inputs "
            + graph.inputs.map { "\($0.name) \($0.shape.map { $0.map(String.init) ?? "?" })" }.joined(separator: ", ")
            + ", outputs "
            + graph.outputs.map { "\($0.name) \($0.shape.map { $0.map(String.init) ?? "?" })" }.joined(separator: ", "))
    }
}
