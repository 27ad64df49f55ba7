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
