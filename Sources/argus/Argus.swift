import ArgumentParser
import ArgusTensor

/// The `argus` command line: one binary for serving, detecting, evaluating and benchmarking.
@main
struct Argus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "argus",
        abstract: "Object detection and segmentation on the CPU, with the reference implementations' numbers.",
        subcommands: [DetectCommand.self, SegmentCommand.self, ClassifyCommand.self, ProposalsCommand.self, ServeCommand.self, EvalCommand.self, InspectCommand.self, BenchCommand.self, ModelsCommand.self]
    )

    static func main() {
        // OpenBLAS's generic kernels where it does not know the CPU: run again with the right ones (BLASCoreType).
        BLASCoreType.reexecIfFallback()
        keepFreedMemoryInProcess()
        main(nil)
    }
}
