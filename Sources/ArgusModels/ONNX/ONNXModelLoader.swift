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
        if UltralyticsONNX.recognizes(graph) {
            return .detector(try UltralyticsONNX.load(graph, name: name))
        }
        if YOLOXONNX.recognizes(graph) {
            let names = graph.metadata["names"].flatMap { try? PythonLiteral.parse($0) }?.classNames
            return .detector(try YOLOXONNX.load(graph, name: name, classNames: names))
        }
        throw ModelError.unsupportedCheckpoint("\(path) is neither an Ultralytics export (no 'task'/'names' metadata) "
            + "nor a YOLOX export (one input [1, 3, H, W] and one output [1, rows, 5 + classes]); inputs "
            + graph.inputs.map { "\($0.name) \($0.shape.map { $0.map(String.init) ?? "?" })" }.joined(separator: ", ")
            + ", outputs "
            + graph.outputs.map { "\($0.name) \($0.shape.map { $0.map(String.init) ?? "?" })" }.joined(separator: ", "))
    }
}
