import ArgumentParser
import ArgusModels
import ArgusONNX
import ArgusWeights

/// `argus inspect`: list a checkpoint's tensors and metadata without running anything in it.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List a checkpoint's tensors (name, dtype, shape), parameter count and metadata.",
        discussion: """
        Reads PyTorch checkpoints (torch.save zip files: state dicts, training checkpoints, whole \
        pickled models) and safetensors files natively; pickled code is never executed. For a pickled \
        model it shows the class and simple attributes (yaml, names, nc, stride); for safetensors, \
        the __metadata__ entries. For an ONNX file (.onnx): its producer, opsets, inputs and outputs \
        (shapes, ? for symbolic dimensions), metadata and operator counts.
        """)

    @Argument(help: "Checkpoint file (.pt, .pth, .safetensors) or ONNX file (.onnx).")
    var path: String

    func run() throws {
        if ModelLoader.isONNX(path) {
            do { print(Self.summary(try ONNXModel(contentsOf: path))) } catch { throw failure(path, error) }
            return
        }
        do {
            print(try Checkpoint.load(contentsOf: path).summary())
        } catch let error as WeightsError {
            // I/O messages already name the file.
            if case .io = error { throw failure(nil, error) }
            throw failure(path, error)
        }
    }
}

extension InspectCommand {
    /// A readable listing of what an ONNX file declares (nothing is run).
    static func summary(_ model: ONNXModel) -> String {
        func describe(_ t: ONNXTensorInfo) -> String {
            "  \(t.name): \(t.elementType) [\(t.shape.map { $0.map(String.init) ?? "?" }.joined(separator: ", "))]"
        }
        var lines = ["ONNX model: ir_version \(model.irVersion), opset \(model.opsetVersion), producer '\(model.producerName)'",
                     "inputs:"] + model.inputs.map(describe) + ["outputs:"] + model.outputs.map(describe)
        lines.append("metadata:" + (model.metadata.isEmpty ? " (none)" : ""))
        lines += model.metadata.keys.sorted().map { "  \($0): \(model.metadata[$0]!)" }
        let ops = model.operatorCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        lines.append("operators (\(ops.reduce(0) { $0 + $1.value }) nodes): " + ops.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}
