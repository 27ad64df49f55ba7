import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress of a long run on stderr: a redrawn bar on a terminal, otherwise one line per ~10%
/// (so logs stay readable).
struct ProgressBar {
    let unit: String
    let interactive: Bool
    private var lastTenth = -1

    init(unit: String, interactive: Bool = isatty(STDERR_FILENO) != 0) {
        self.unit = unit
        self.interactive = interactive
    }

    /// Shows `done` of `total`; the last call (done == total) ends the line.
    mutating func update(_ done: Int, of total: Int) {
        guard total > 0 else { return }
        if interactive {
            FileHandle.standardError.write(Data(("\r" + Self.bar(done, total) + " \(done)/\(total) \(unit)" + (done == total ? "\n" : "")).utf8))
        } else {
            let tenth = done * 10 / total
            if tenth != lastTenth && (tenth > lastTenth) {
                lastTenth = tenth
                FileHandle.standardError.write(Data("\(done)/\(total) \(unit) (\(done * 100 / total)%)\n".utf8))
            }
        }
    }

    /// `[=====>    ]`: 30 cells, `>` at the head while unfinished.
    static func bar(_ done: Int, _ total: Int, width: Int = 30) -> String {
        let filled = min(width, done * width / max(1, total))
        let head = filled < width && done > 0 ? ">" : ""
        let body = String(repeating: "=", count: max(0, filled - head.count)) + head
        return "[" + body + String(repeating: " ", count: width - body.count) + "]"
    }
}
