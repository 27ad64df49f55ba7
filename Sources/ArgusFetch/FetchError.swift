/// Why a download failed. Nothing is left at the destination when one is thrown.
public enum FetchError: Error, Equatable, CustomStringConvertible {
    /// Not an http(s) URL.
    case unsupportedURL(String)
    /// The server answered with an HTTP error status (after redirects).
    case httpStatus(Int, url: String)
    /// More bytes than allowed (the manifest's size or the download limit).
    case tooLarge(limit: Int64, url: String)
    /// The transfer ended with a different size than the manifest's.
    case sizeMismatch(expected: Int64, actual: Int64, url: String)
    /// The file's SHA-256 is not the expected one.
    case checksumMismatch(expected: String, actual: String, url: String)
    /// Connection, TLS, timeout, too many redirects...: libcurl's message.
    case transfer(String, url: String)
    /// Local file system failure.
    case io(String)

    public var description: String {
        switch self {
        case .unsupportedURL(let u): return "only http:// and https:// URLs can be downloaded, got '\(u)'"
        case .httpStatus(let code, let url): return "HTTP \(code) from \(url)"
        case .tooLarge(let limit, let url): return "\(url) is larger than the allowed \(limit) bytes; download stopped"
        case .sizeMismatch(let e, let a, let url): return "\(url): got \(a) bytes, the manifest says \(e); file discarded"
        case .checksumMismatch(let e, let a, let url):
            return "\(url): sha256 mismatch (expected \(e), got \(a)); file discarded"
        case .transfer(let m, let url): return "download of \(url) failed: \(m)"
        case .io(let m): return m
        }
    }
}
