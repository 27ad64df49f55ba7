import ArgumentParser
import ArgusPipeline
import Foundation

/// A user-facing command-line failure: printed as one line on stderr, exit code 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Runs `body`; on failure prints `argus: [context: ]message` on stderr and exits non-zero.
func failing<T>(_ context: String? = nil, _ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw failure(context, error) }
}

func failure(_ context: String?, _ error: Error) -> Error {
    let message = "\(error)"
    let line = "argus: " + (context.map { "\($0): " } ?? "") + message + "\n"
    FileHandle.standardError.write(line.data(using: .utf8)!)
    return ExitCode.failure
}

/// An input file's bytes; a failure names the file.
func readInput(_ path: String) throws -> [UInt8] {
    try failing(path) {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read file") }
        return [UInt8](data)
    }
}

/// The command's JSON to `--output FILE`, or to stdout.
func writeOutput(_ text: String, to output: String?) throws {
    if let output {
        guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
            throw failure(output, CLIError("cannot write file"))
        }
    } else {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
