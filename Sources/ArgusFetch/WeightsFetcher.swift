import ArgusModels
import Foundation

/// One file to fetch: where from, where to, and what it must hash to.
public struct FetchRequest: Sendable, Equatable {
    public var url: String
    /// The final path of the file.
    public var destination: String
    public var expected: ExpectedDigest
    /// Exact size in bytes, when known.
    public var size: Int64?

    public init(url: String, destination: String, expected: ExpectedDigest, size: Int64? = nil) {
        self.url = url; self.destination = destination; self.expected = expected; self.size = size
    }
}

/// What `fetch` did.
public enum FetchOutcome: Sendable, Equatable {
    /// A file with the expected checksum was already there; nothing was downloaded.
    case alreadyPresent(path: String, sha256: String)
    /// The file was downloaded, verified and moved into place.
    case downloaded(path: String, bytes: Int64, sha256: String)
}

/// Downloads a checkpoint into place atomically: into a temporary file beside the destination, hashed
/// while written, checked (size, SHA-256), then renamed over the destination. On any failure the
/// temporary file is removed and an existing destination is left as it was.
public struct WeightsFetcher: Sendable {
    public var limits: DownloadLimits

    public init(limits: DownloadLimits = DownloadLimits()) { self.limits = limits }

    /// Fetches `request`, or does nothing when a verified file is already at the destination (unless `force`).
    /// `note` receives one-line remarks (e.g. that an existing file did not verify and is replaced).
    public func fetch(_ request: FetchRequest, force: Bool = false, progress: DownloadProgress? = nil,
                      note: ((String) -> Void)? = nil) throws -> FetchOutcome {
        guard let scheme = URLComponents(string: request.url)?.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw FetchError.unsupportedURL(request.url)
        }
        if !force, FileManager.default.fileExists(atPath: request.destination) {
            if let digest = try Self.verifiedDigest(atPath: request.destination, expected: request.expected, size: request.size) {
                return .alreadyPresent(path: request.destination, sha256: digest)
            }
            note?("\(request.destination) exists but does not match the \(request.expected); downloading it again")
        }
        let directory = (request.destination as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
        } catch {
            throw FetchError.io("cannot create \(directory): \(error.localizedDescription)")
        }
        let file = (request.destination as NSString).lastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/.\(file).part-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FetchError.io("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var fdOpen = true
        var keep = false
        defer {
            if fdOpen { close(fd) }
            if !keep { unlink(temporary) }
        }

        let limit = min(limits.maxBytes, request.size ?? limits.maxBytes)
        let (bytes, digest) = try transfer(url: request.url, to: fd, limit: limit, limits: limits, progress: progress)
        guard fsync(fd) == 0 else { throw FetchError.io("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        close(fd)
        fdOpen = false
        if let size = request.size, size != bytes {
            throw FetchError.sizeMismatch(expected: size, actual: bytes, url: request.url)
        }
        guard request.expected.matches(digest) else {
            let expected: String
            switch request.expected { case .full(let s): expected = s; case .prefix(let p): expected = p + "..." }
            throw FetchError.checksumMismatch(expected: expected, actual: digest, url: request.url)
        }
        guard rename(temporary, request.destination) == 0 else {
            throw FetchError.io("cannot move the download to \(request.destination): \(String(cString: strerror(errno)))")
        }
        keep = true
        Self.syncDirectory(directory.isEmpty ? "." : directory)
        return .downloaded(path: request.destination, bytes: bytes, sha256: digest)
    }

    /// The file's SHA-256 if it has the expected size and checksum, else nil.
    public static func verifiedDigest(atPath path: String, expected: ExpectedDigest, size: Int64?) throws -> String? {
        if let size {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            guard (attributes?[.size] as? NSNumber)?.int64Value == size else { return nil }
        }
        let digest = try SHA256.file(atPath: path)
        return expected.matches(digest) ? digest : nil
    }

    /// Makes the rename durable (best effort: some file systems refuse fsync on directories).
    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }
}

extension FetchRequest {
    /// The request for a catalog entry's weights, into `directory` (default: the catalog's cache).
    public init(entry: CatalogEntry, catalog: ModelCatalog, directory: String? = nil) {
        let weights = entry.manifest.weights
        let destination = directory.map { ($0 as NSString).appendingPathComponent(weights.file) }
            ?? catalog.cachedWeightsPath(for: entry)
        self.init(url: weights.url, destination: destination, expected: weights.expectedDigest, size: weights.size)
    }
}
