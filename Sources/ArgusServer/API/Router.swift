/// The route table: method + path pattern to a handler; 404 for unknown paths, 405 for wrong methods. A pattern's
/// `{name}` segment matches any one non-empty path segment (a model name); exact paths win over patterns.
struct Router {
    typealias Handler = (HTTPRequest) throws -> HTTPResponse

    /// Which key a route needs when the server has keys.
    enum Access {
        /// None: the probes and the API description.
        case open
        /// An API key (or an admin key): inference, evaluation, listings.
        case key
        /// An admin key: model management, closed altogether on a server without admin keys.
        case admin
    }

    struct Route {
        let method: String
        let access: Access
        /// The pattern, which is also the metrics label: one label for every model name keeps cardinality bounded.
        let pattern: String
        let segments: [Substring]
        let handler: Handler

        var isExact: Bool { !pattern.contains("{") }

        /// Whether the path (and its segments) matches this pattern.
        func matches(_ path: String, _ parts: [Substring]) -> Bool {
            if isExact { return path == pattern }
            guard parts.count == segments.count else { return false }
            return zip(segments, parts).allSatisfy { pattern, part in
                pattern.hasPrefix("{") ? !part.isEmpty : pattern == part
            }
        }
    }

    private var routes: [Route] = []

    mutating func add(_ method: String, _ pattern: String, access: Access = .key, _ handler: @escaping Handler) {
        routes.append(Route(method: method, access: access, pattern: pattern,
                            segments: pattern.split(separator: "/", omittingEmptySubsequences: false), handler: handler))
    }

    private func candidates(_ path: String) -> [Route] {
        let exact = routes.filter { $0.isExact && $0.pattern == path }
        guard exact.isEmpty else { return exact }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return routes.filter { !$0.isExact && $0.matches(path, parts) }
    }

    /// The metrics label for a path: the route's pattern, or `unmatched`.
    func label(for path: String) -> String {
        candidates(path).first?.pattern ?? "unmatched"
    }

    /// The route of a request; HEAD is served by the GET handler (libmicrohttpd drops the body).
    func route(method: String, path: String) throws -> Route {
        let candidates = candidates(path)
        guard !candidates.isEmpty else { throw APIError.notFound("no route \(path)") }
        let effective = method == "HEAD" ? "GET" : method
        guard let route = candidates.first(where: { $0.method == effective }) else {
            var allowed = candidates.map(\.method)
            if allowed.contains("GET") { allowed.append("HEAD") }
            throw APIError.methodNotAllowed(method, allowed: allowed)
        }
        return route
    }
}

extension HTTPRequest {
    /// The path's segment at `index` ("/v2/models/yolox_nano/infer": 0 is "", 3 is "yolox_nano").
    func pathSegment(_ index: Int) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return index < parts.count ? String(parts[index]) : ""
    }
}
