import Foundation

/// The keys that unlock the served routes (`argus serve --api-key`, `--api-key-file`, `ARGUS_API_KEY`), and how a
/// request presents one: `Authorization: Bearer KEY`, `X-API-Key: KEY`, or DeepStack's `api_key`, as a query argument
/// or a multipart form field (what Blue Iris and the DeepStack clients send).
public struct APIKeys: Sendable {
    private let keys: [[UInt8]]

    /// No key: every route is open.
    public static let none = APIKeys(checked: [])

    /// Several keys may be valid at once (rotation). A key is 1 to 4096 visible ASCII characters: it travels in
    /// a header, so no spaces or control characters.
    public init(_ keys: [String]) throws {
        for key in keys {
            guard (1...4096).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw ServerConfigurationError(description: "an API key must be 1 to 4096 visible ASCII characters, without spaces")
            }
        }
        self.init(checked: keys)
    }

    private init(checked keys: [String]) { self.keys = keys.map { Array($0.utf8) } }

    public var isEmpty: Bool { keys.isEmpty }

    /// The keys in a file, one per line (a Kubernetes secret, a Docker secret); blank lines and `#` comments skipped.
    public static func read(file path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ServerConfigurationError(description: "cannot read the API key file \(path)")
        }
        let keys = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !keys.isEmpty else { throw ServerConfigurationError(description: "the API key file \(path) has no key") }
        return keys
    }

    /// Whether `presented` is one of the keys. Every key is compared over the whole presented length, so the time
    /// taken depends on the presented key's length only, not on how much of a real key it matches.
    public func accepts(_ presented: String) -> Bool {
        let p = Array(presented.utf8)
        var matched = false
        for key in keys {
            var difference = UInt8(p.count == key.count ? 0 : 1)
            for i in 0..<p.count { difference |= p[i] ^ key[i % key.count] }
            matched = matched || difference == 0
        }
        return matched
    }

    /// The key a request presents, if any: the Authorization bearer token, then X-API-Key, then an `api_key`
    /// query argument, then an `api_key` multipart form field.
    public static func presented(in request: HTTPRequest) -> String? {
        if let authorization = request.header("authorization") {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return parts[1].trimmingCharacters(in: .whitespaces) }
        }
        if let key = request.header("x-api-key") { return key.trimmingCharacters(in: .whitespaces) }
        if let key = request.query.last(where: { $0.name == "api_key" }) { return key.value }
        guard let contentType = request.header("content-type"), let media = MediaType(contentType),
              media.essence == "multipart/form-data", let boundary = media.parameters["boundary"], !boundary.isEmpty,
              let parts = try? MultipartParser.parse(request.body, boundary: boundary) else { return nil }
        return parts.last { $0.name == "api_key" && $0.filename == nil }?.text
    }
}
