import ArgusPipeline
import Foundation

/// `--models DIR --watch`: polls the directory and reports model files added, changed or removed.
///
/// Polling (not inotify) sees every way a file can appear, including the symlink swaps of Kubernetes volume
/// updates and network filesystems. A file is reported only once its size and modification time held still for
/// one whole interval, so a copy still being written is not loaded half-way.
final class ModelDirectoryWatcher: @unchecked Sendable {
    /// What the watcher saw: a file to (re)load, or one that is gone.
    enum Change: Equatable {
        case added(path: String)
        case changed(path: String)
        case removed(path: String)
    }

    private struct Stamp: Equatable {
        var size: Int
        var modified: Date
    }

    let directory: String
    let interval: Double
    private let onChange: (Change) -> Void
    private let stopping = NSCondition()
    private var stopped = false
    private var thread: Thread?
    /// Files as last reported, and files seen but not yet still for an interval.
    private var reported: [String: Stamp] = [:]
    private var pending: [String: Stamp] = [:]

    /// `initial`: the files the server already loaded at start-up (they are not reported again unless they change).
    init(directory: String, interval: Double, initial: [String], onChange: @escaping (Change) -> Void) {
        self.directory = directory
        self.interval = interval
        self.onChange = onChange
        for path in initial { if let stamp = Self.stamp(path) { reported[path] = stamp } }
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "argus-watch"
        self.thread = thread
        thread.start()
    }

    func stop() {
        stopping.lock()
        stopped = true
        stopping.broadcast()
        stopping.unlock()
    }

    private func run() {
        while true {
            stopping.lock()
            if !stopped { stopping.wait(until: Date(timeIntervalSinceNow: interval)) }
            let done = stopped
            stopping.unlock()
            if done { return }
            poll()
        }
    }

    /// One look at the directory; also called directly by tests.
    func poll() {
        // A directory that cannot be listed for a moment (remounted, renamed) is not taken to be empty.
        guard let paths = try? ModelRegistry.checkpointPaths(in: directory) else { return }
        var now: [String: Stamp] = [:]
        for path in paths {
            if let stamp = Self.stamp(path) { now[path] = stamp }
        }
        for path in reported.keys.sorted() where now[path] == nil {
            reported[path] = nil
            onChange(.removed(path: path))
        }
        pending = pending.filter { now[$0.key] != nil }
        for (path, stamp) in now.sorted(by: { $0.key < $1.key }) where reported[path] != stamp {
            guard pending[path] == stamp else { pending[path] = stamp; continue }
            pending[path] = nil
            let known = reported[path] != nil
            reported[path] = stamp
            onChange(known ? .changed(path: path) : .added(path: path))
        }
    }

    private static func stamp(_ path: String) -> Stamp? {
        // Follows symlinks: a volume's `..data` swap changes what the name points to.
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: (path as NSString).resolvingSymlinksInPath),
              let size = attributes[.size] as? Int, let modified = attributes[.modificationDate] as? Date else { return nil }
        return Stamp(size: size, modified: modified)
    }
}
