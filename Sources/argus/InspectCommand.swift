import ArgumentParser
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
        the __metadata__ entries.
        """)

    @Argument(help: "Checkpoint file (.pt, .pth or .safetensors).")
    var path: String

    func run() throws {
        do {
            print(try Checkpoint.load(contentsOf: path).summary())
        } catch let error as WeightsError {
            // I/O messages already name the file.
            if case .io = error { throw failure(nil, error) }
            throw failure(path, error)
        }
    }
}
