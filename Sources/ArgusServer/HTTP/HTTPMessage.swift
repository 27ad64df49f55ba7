import ArgusJSON
import ArgusPipeline

/// One HTTP request as the handlers see it: the whole (bounded) body already read.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path without the query string, percent-decoded by libmicrohttpd.
    public var path: String
    /// Query arguments in arrival order (a key without `=` has an empty value).
    public var query: [(name: String, value: String)]
    /// Header fields keyed by lower-cased name (repeated fields joined with ", ").
    public var headers: [String: String]
    public var body: [UInt8]
    /// Monotonic time (nanoseconds) when the request's headers arrived; deadlines count from here.
    public var receivedAt: UInt64
    /// True once the client has closed its connection (nobody will read the answer): queued work is dropped.
    public var clientGone: @Sendable () -> Bool = { false }

    public init(method: String, path: String, query: [(name: String, value: String)] = [],
                headers: [String: String] = [:], body: [UInt8] = [], receivedAt: UInt64 = MonotonicClock.now()) {
        self.method = method; self.path = path; self.query = query
        self.headers = headers; self.body = body; self.receivedAt = receivedAt
    }

    /// A header field by case-insensitive name.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// One HTTP response: status, extra header fields and the whole body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status; self.headers = headers; self.body = body
    }

    /// A response with a JSON body.
    public static func json(_ status: Int, _ value: JSONValue, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers,
                     body: Array(value.serialized().utf8))
    }

    /// A response with a plain text body.
    public static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }
}
