import CCurl
import Foundation

/// Bounds of one download: size, time, redirects.
public struct DownloadLimits: Sendable, Equatable {
    /// Bytes accepted at most (a manifest's `size`, when given, lowers this to exactly that size).
    public var maxBytes: Int64
    /// Seconds to establish the connection.
    public var connectTimeout: Int
    /// Seconds for the whole transfer.
    public var totalTimeout: Int
    /// The transfer is aborted when slower than `lowSpeedBytesPerSecond` for `lowSpeedSeconds`.
    public var lowSpeedBytesPerSecond: Int
    public var lowSpeedSeconds: Int
    /// Redirects followed at most.
    public var maxRedirects: Int

    /// Defaults: 4 GiB, 30 s to connect, 2 h in total, abort below 1 KiB/s for 60 s, 5 redirects.
    public init(maxBytes: Int64 = 4 << 30, connectTimeout: Int = 30, totalTimeout: Int = 7200,
                lowSpeedBytesPerSecond: Int = 1024, lowSpeedSeconds: Int = 60, maxRedirects: Int = 5) {
        self.maxBytes = maxBytes; self.connectTimeout = connectTimeout; self.totalTimeout = totalTimeout
        self.lowSpeedBytesPerSecond = lowSpeedBytesPerSecond; self.lowSpeedSeconds = lowSpeedSeconds
        self.maxRedirects = maxRedirects
    }
}

/// Download progress: bytes received so far and the expected total when the server sent one.
public typealias DownloadProgress = (_ received: Int64, _ total: Int64?) -> Void

/// libcurl's one-time global setup (thread-safe through Swift's lazy static initialisation).
private enum CurlRuntime {
    static let ready: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
}

/// What the C callbacks see of a running transfer.
private final class TransferState {
    let fd: Int32
    let hasher: SHA256
    let limit: Int64
    let progress: DownloadProgress?
    var received: Int64 = 0
    var overLimit = false
    var writeError: String?
    var lastReport = DispatchTime(uptimeNanoseconds: 0)

    init(fd: Int32, hasher: SHA256, limit: Int64, progress: DownloadProgress?) {
        self.fd = fd; self.hasher = hasher; self.limit = limit; self.progress = progress
    }
}

/// Streams `url` into the open file `fd`, hashing as it writes, and returns the byte count and SHA-256.
/// Only http and https are allowed, also for redirects.
func transfer(url: String, to fd: Int32, limit: Int64, limits: DownloadLimits,
              progress: DownloadProgress?) throws -> (bytes: Int64, sha256: String) {
    guard CurlRuntime.ready, let curl = curl_easy_init() else { throw FetchError.transfer("libcurl failed to initialise", url: url) }
    defer { curl_easy_cleanup(curl) }
    let state = TransferState(fd: fd, hasher: try SHA256(), limit: limit, progress: progress)
    let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    defer { errorBuffer.deallocate() }
    errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

    let context = Unmanaged.passUnretained(state).toOpaque()
    let write: argus_curl_write_fn = { data, size, count, context in
        let state = Unmanaged<TransferState>.fromOpaque(context!).takeUnretainedValue()
        let n = size * count
        guard state.received + Int64(n) <= state.limit else { state.overLimit = true; return 0 }
        guard let data, n > 0 else { return n }
        var written = 0
        while written < n {
            let w = Glibc.write(state.fd, data + written, n - written)
            if w < 0 {
                if errno == EINTR { continue }
                state.writeError = String(cString: strerror(errno))
                return 0
            }
            written += w
        }
        state.hasher.update(UnsafeRawBufferPointer(start: data, count: n))
        state.received += Int64(n)
        return n
    }
    let report: argus_curl_progress_fn = { context, total, now, _, _ in
        let state = Unmanaged<TransferState>.fromOpaque(context!).takeUnretainedValue()
        guard let progress = state.progress else { return 0 }
        let t = DispatchTime.now()
        // At most ~10 updates a second; the final one comes from the caller.
        if t.uptimeNanoseconds - state.lastReport.uptimeNanoseconds >= 100_000_000 {
            state.lastReport = t
            progress(Int64(now), total > 0 ? Int64(total) : nil)
        }
        return 0
    }

    var setup: [CURLcode] = [
        argus_curl_set_string(curl, CURLOPT_URL, url),
        argus_curl_set_string(curl, CURLOPT_PROTOCOLS_STR, "http,https"),
        argus_curl_set_string(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"),
        argus_curl_set_long(curl, CURLOPT_FOLLOWLOCATION, 1),
        argus_curl_set_long(curl, CURLOPT_MAXREDIRS, limits.maxRedirects),
        argus_curl_set_long(curl, CURLOPT_FAILONERROR, 1),
        argus_curl_set_long(curl, CURLOPT_NOSIGNAL, 1),
        argus_curl_set_long(curl, CURLOPT_CONNECTTIMEOUT, limits.connectTimeout),
        argus_curl_set_long(curl, CURLOPT_TIMEOUT, limits.totalTimeout),
        argus_curl_set_long(curl, CURLOPT_LOW_SPEED_LIMIT, limits.lowSpeedBytesPerSecond),
        argus_curl_set_long(curl, CURLOPT_LOW_SPEED_TIME, limits.lowSpeedSeconds),
        // Refused before the body starts when the server announces a larger Content-Length.
        argus_curl_set_offset(curl, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limit)),
        argus_curl_set_string(curl, CURLOPT_USERAGENT, "argus"),
        argus_curl_set_pointer(curl, CURLOPT_ERRORBUFFER, errorBuffer),
        argus_curl_set_write_function(curl, write),
        argus_curl_set_pointer(curl, CURLOPT_WRITEDATA, context),
    ]
    if progress != nil {
        setup += [argus_curl_set_progress_function(curl, report),
                  argus_curl_set_pointer(curl, CURLOPT_XFERINFODATA, context),
                  argus_curl_set_long(curl, CURLOPT_NOPROGRESS, 0)]
    }
    if let bad = setup.first(where: { $0 != CURLE_OK }) {
        throw FetchError.transfer("libcurl option rejected: \(String(cString: curl_easy_strerror(bad)))", url: url)
    }

    let code = withExtendedLifetime(state) { curl_easy_perform(curl) }
    switch code {
    case CURLE_OK:
        break
    case CURLE_FILESIZE_EXCEEDED:
        throw FetchError.tooLarge(limit: limit, url: url)
    case CURLE_WRITE_ERROR where state.overLimit:
        throw FetchError.tooLarge(limit: limit, url: url)
    case CURLE_WRITE_ERROR where state.writeError != nil:
        throw FetchError.io("cannot write the download: \(state.writeError!)")
    case CURLE_HTTP_RETURNED_ERROR:
        var status = 0
        _ = argus_curl_get_long(curl, CURLINFO_RESPONSE_CODE, &status)
        throw FetchError.httpStatus(status, url: url)
    default:
        let detail = String(cString: errorBuffer)
        throw FetchError.transfer(detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail, url: url)
    }
    progress?(state.received, state.received)
    return (state.received, state.hasher.finalize())
}
