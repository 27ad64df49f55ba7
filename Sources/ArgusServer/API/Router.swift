/// The route table: method + exact path (or a path prefix followed by one segment, e.g. a model name) to a handler;
/// 404 for unknown paths, 405 for wrong methods. Exact paths win over prefixes.
struct Router {
    typealias Handler = (HTTPRequest) throws -> HTTPResponse

    struct Route {
        let method: String
        let path: String
        /// For a prefix route, the metrics label that stands for every path it serves (`/v1/vision/custom/{model}`).
        let prefixLabel: String?
        let handler: Handler

        func matches(_ requested: String) -> Bool {
            guard prefixLabel != nil else { return requested == path }
            guard requested.hasPrefix(path) else { return false }
            let segment = requested.dropFirst(path.count)
            return !segment.isEmpty && !segment.contains("/")
        }
    }

    private var routes: [Route] = []

    mutating func add(_ method: String, _ path: String, _ handler: @escaping Handler) {
        routes.append(Route(method: method, path: path, prefixLabel: nil, handler: handler))
    }

    /// Serves every `prefix` + one path segment; the handler reads the segment from the request's path.
    mutating func add(_ method: String, prefix: String, label: String, _ handler: @escaping Handler) {
        routes.append(Route(method: method, path: prefix, prefixLabel: label, handler: handler))
    }

    private func candidates(_ path: String) -> [Route] {
        let exact = routes.filter { $0.prefixLabel == nil && $0.path == path }
        return exact.isEmpty ? routes.filter { $0.prefixLabel != nil && $0.matches(path) } : exact
    }

    /// The metrics label for a path: the route itself, or `unmatched` (keeps label cardinality bounded).
    func label(for path: String) -> String {
        guard let route = candidates(path).first else { return "unmatched" }
        return route.prefixLabel ?? route.path
    }

    /// The handler for a request; HEAD is served by the GET handler (libmicrohttpd drops the body).
    func handler(method: String, path: String) throws -> Handler {
        let candidates = candidates(path)
        guard !candidates.isEmpty else { throw APIError.notFound("no route \(path)") }
        let effective = method == "HEAD" ? "GET" : method
        guard let route = candidates.first(where: { $0.method == effective }) else {
            var allowed = candidates.map(\.method)
            if allowed.contains("GET") { allowed.append("HEAD") }
            throw APIError.methodNotAllowed(method, allowed: allowed)
        }
        return route.handler
    }
}
