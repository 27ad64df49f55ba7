/// The route table: method + exact path to a handler; 404 for unknown paths, 405 for wrong methods.
struct Router {
    typealias Handler = (HTTPRequest) throws -> HTTPResponse

    struct Route {
        let method: String
        let path: String
        let handler: Handler
    }

    private var routes: [Route] = []

    mutating func add(_ method: String, _ path: String, _ handler: @escaping Handler) {
        routes.append(Route(method: method, path: path, handler: handler))
    }

    /// The metrics label for a path: the route itself, or `unmatched` (keeps label cardinality bounded).
    func label(for path: String) -> String {
        routes.contains { $0.path == path } ? path : "unmatched"
    }

    /// The handler for a request; HEAD is served by the GET handler (libmicrohttpd drops the body).
    func handler(method: String, path: String) throws -> Handler {
        let candidates = routes.filter { $0.path == path }
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
