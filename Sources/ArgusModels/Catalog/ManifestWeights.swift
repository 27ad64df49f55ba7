import Foundation

/// Where a manifest's checkpoint comes from and how it is checked.
///
/// `sha256` (the full digest) is checked when present; otherwise `sha256_prefix`, the leading hex digits
/// that publishers such as torchvision put in file names (`torch.hub` checks only that prefix).
public struct ManifestWeights: Sendable, Codable, Equatable {
    /// The official download URL (http or https).
    public var url: String
    /// The checkpoint's file name in the models directory or the cache (a plain name, no directories).
    public var file: String
    /// Full SHA-256, 64 lowercase hex digits.
    public var sha256: String?
    /// Size in bytes, when known: a download of any other size fails.
    public var size: Int64?
    /// The hash prefix in the publisher's file name (at least 8 hex digits).
    public var sha256Prefix: String?
    /// Where `sha256` was obtained (informational).
    public var sha256Source: String?
    /// The publisher's name for the weights (e.g. `FasterRCNN_ResNet50_FPN_Weights.COCO_V1`; informational).
    public var torchvisionEnum: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case url, file, sha256, size, sha256Prefix = "sha256_prefix", sha256Source = "sha256_source"
        case torchvisionEnum = "torchvision_enum"
    }

    public init(url: String, file: String, sha256: String?, size: Int64? = nil, sha256Prefix: String? = nil,
                sha256Source: String? = nil, torchvisionEnum: String? = nil) {
        self.url = url; self.file = file; self.sha256 = sha256; self.size = size
        self.sha256Prefix = sha256Prefix; self.sha256Source = sha256Source; self.torchvisionEnum = torchvisionEnum
    }

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        url = try c.decode(String.self, forKey: .url)
        file = try c.decode(String.self, forKey: .file)
        sha256 = try c.decodeIfPresent(String.self, forKey: .sha256)
        size = try c.decodeIfPresent(Int64.self, forKey: .size)
        sha256Prefix = try c.decodeIfPresent(String.self, forKey: .sha256Prefix)
        sha256Source = try c.decodeIfPresent(String.self, forKey: .sha256Source)
        torchvisionEnum = try c.decodeIfPresent(String.self, forKey: .torchvisionEnum)
    }

    /// What a downloaded file is checked against: the full digest, else the prefix.
    public var expectedDigest: ExpectedDigest {
        if let sha256 { return .full(sha256) }
        return .prefix(sha256Prefix ?? "")
    }

    /// Checks the URL scheme, the file name and the checksum fields.
    public func validated() throws -> ManifestWeights {
        func fail(_ m: String) -> ModelError { .malformedConfig("weights: \(m)") }
        guard let parsed = URLComponents(string: url), let scheme = parsed.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = parsed.host, !host.isEmpty else {
            throw fail("url must be an http(s) URL with a host, got '\(url)'")
        }
        guard ModelManifest.isPlainName(file) else {
            throw fail("file '\(file)' must be a plain file name (A-Z a-z 0-9 . _ -, no directories)")
        }
        if let size, size <= 0 { throw fail("size must be > 0") }
        if let sha256 {
            guard sha256.utf8.count == 64, Self.isLowerHex(sha256) else {
                throw fail("sha256 must be 64 lowercase hex digits")
            }
        }
        if let prefix = sha256Prefix {
            guard (8...64).contains(prefix.utf8.count), Self.isLowerHex(prefix) else {
                throw fail("sha256_prefix must be 8-64 lowercase hex digits")
            }
            if let sha256, !sha256.hasPrefix(prefix) {
                throw fail("sha256 \(sha256) does not start with sha256_prefix \(prefix)")
            }
        }
        guard sha256 != nil || sha256Prefix != nil else {
            throw fail("give sha256 (or at least the publisher's sha256_prefix): unverified downloads are refused")
        }
        return self
    }

    static func isLowerHex(_ s: String) -> Bool {
        s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}

/// The checksum a file must have.
public enum ExpectedDigest: Sendable, Equatable, CustomStringConvertible {
    /// The whole SHA-256 (64 hex digits).
    case full(String)
    /// Only the leading hex digits are known (what `torch.hub` checks for torchvision's files).
    case prefix(String)

    /// Whether `digest` (64 lowercase hex digits) satisfies this expectation.
    public func matches(_ digest: String) -> Bool {
        switch self {
        case .full(let s): return digest == s
        case .prefix(let p): return !p.isEmpty && digest.hasPrefix(p)
        }
    }

    public var description: String {
        switch self {
        case .full(let s): return "sha256 \(s)"
        case .prefix(let p): return "sha256 prefix \(p) (only the prefix is known)"
        }
    }
}
