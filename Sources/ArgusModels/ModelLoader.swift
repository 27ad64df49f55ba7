import ArgusWeights

/// Loads a model from a checkpoint file, recognising its family from what the file holds.
public enum ModelLoader {
    /// - Parameter name: the model's name; defaults to the file's stem (`yolov5n` for `yolov5n.pt`).
    public static func load(contentsOf path: String, name: String? = nil) throws -> any Detector {
        let checkpoint = try Checkpoint.load(contentsOf: path)
        let modelName = name ?? fileStem(path)
        return try YOLOv5.load(checkpoint, name: modelName)
    }

    static func fileStem(_ path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        if let dot = file.lastIndex(of: "."), dot != file.startIndex { return String(file[..<dot]) }
        return file
    }
}
