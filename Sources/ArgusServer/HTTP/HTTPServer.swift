import ArgusPipeline
import CMicroHTTPD
import Foundation
import Glibc
import Synchronization

/// What the HTTP layer asks of the application: body limits, the response, and the access log.
public protocol HTTPApplication: AnyObject, Sendable {
    /// The most body bytes accepted for this request (checked against Content-Length, then while reading).
    func bodyLimit(method: String, path: String) -> Int
    /// The answer for a request whose body is over `bodyLimit` (the body is never fully read).
    func payloadTooLarge(_ request: HTTPRequest, limit: Int) -> HTTPResponse
    /// The answer for a complete request.
    func respond(to request: HTTPRequest) -> HTTPResponse
    /// Called once per answered request (access log and metrics).
    func didRespond(to request: HTTPRequest, with response: HTTPResponse, milliseconds: Double)
}

/// Why the server could not start.
public struct HTTPServerError: Error, CustomStringConvertible {
    public var description: String
}

/// An HTTP/1.1 server on libmicrohttpd: one thread per connection, bodies read into a bounded buffer.
///
/// Handlers may block (they wait for the inference scheduler), which is why each connection
/// has its own thread; `connectionLimit` bounds the threads.
public final class HTTPServer: @unchecked Sendable {
    /// Listening and connection settings.
    public struct Configuration: Sendable {
        /// IPv4 or IPv6 literal to listen on.
        public var host: String = "127.0.0.1"
        /// 0 picks a free port (read it back from `port`).
        public var port: Int = 8080
        /// Concurrent connections accepted; more are refused by libmicrohttpd.
        public var connectionLimit: Int = 256
        /// Concurrent connections from one client address (0: no limit).
        public var perAddressConnectionLimit: Int = 64
        /// Seconds an idle connection is kept.
        public var connectionTimeoutSeconds: Int = 60
        public init(host: String = "127.0.0.1", port: Int = 8080, connectionLimit: Int = 256,
                    perAddressConnectionLimit: Int = 64, connectionTimeoutSeconds: Int = 60) {
            self.host = host; self.port = port; self.connectionLimit = connectionLimit
            self.perAddressConnectionLimit = perAddressConnectionLimit
            self.connectionTimeoutSeconds = connectionTimeoutSeconds
        }
    }

    private let configuration: Configuration
    private let application: HTTPApplication
    private var daemon: OpaquePointer?
    /// Requests whose first call arrived and whose response is not yet fully sent.
    private let open = OpenRequests()
    /// Set by `drain`: responses then carry `Connection: close`.
    /// Set by `drain` while connection threads answer: atomic, as they read it concurrently (a race TSan found).
    private let draining = Atomic<Bool>(false)
    /// The bound port (meaningful after `start`).
    public private(set) var port: Int = 0

    public init(configuration: Configuration, application: HTTPApplication) {
        self.configuration = configuration
        self.application = application
    }

    deinit { stop() }

    /// Binds the socket and starts serving on libmicrohttpd's threads.
    public func start() throws {
        precondition(daemon == nil, "HTTPServer.start called twice")
        let socket = try ListeningSocket.open(host: configuration.host, port: configuration.port)
        port = socket.port
        let flags = UInt32(MHD_USE_THREAD_PER_CONNECTION.rawValue) | UInt32(MHD_USE_INTERNAL_POLLING_THREAD.rawValue)
            | UInt32(MHD_USE_POLL.rawValue) | (socket.isIPv6 ? UInt32(MHD_USE_IPv6.rawValue) : 0)
            | UInt32(MHD_USE_ITC.rawValue)  // lets `drain` stop accepting (MHD_quiesce_daemon)
        let context = Unmanaged.passUnretained(self).toOpaque()
        let completed = OpaquePointer(unsafeBitCast(requestCompleted, to: UnsafeRawPointer.self))
        let arguments: [CVarArg] = [
            Int32(MHD_OPTION.LISTEN_SOCKET.rawValue), Int32(socket.descriptor),
            Int32(MHD_OPTION.CONNECTION_LIMIT.rawValue), UInt32(configuration.connectionLimit),
            Int32(MHD_OPTION.CONNECTION_TIMEOUT.rawValue), UInt32(configuration.connectionTimeoutSeconds),
            Int32(MHD_OPTION.PER_IP_CONNECTION_LIMIT.rawValue), UInt32(configuration.perAddressConnectionLimit),
            Int32(MHD_OPTION.NOTIFY_COMPLETED.rawValue), completed, OpaquePointer(context),
            Int32(MHD_OPTION.END.rawValue),
        ]
        let started = withVaList(arguments) { list in
            MHD_start_daemon_va(flags, 0, nil, nil, accessHandler, context, list)
        }
        guard let started else {
            close(socket.descriptor)
            throw HTTPServerError(description: "libmicrohttpd could not start on \(configuration.host):\(port)")
        }
        daemon = started
    }

    /// Graceful shutdown: stops accepting connections, lets requests already received finish and
    /// send their responses (for at most `timeout` seconds), then stops.
    public func drain(timeout: Double) {
        guard let d = daemon else { return }
        draining.store(true, ordering: .relaxed)
        let listening = MHD_quiesce_daemon(d)
        if listening >= 0 { close(listening) }  // quiesced: the listening socket is ours to close
        _ = open.waitUntilNone(timeout: timeout)
        stop()
    }

    /// Stops accepting, waits for the connection threads, and closes the socket.
    public func stop() {
        if let d = daemon {
            daemon = nil
            MHD_stop_daemon(d)
        }
    }

    // MARK: - Per-request flow (called on libmicrohttpd's connection threads)

    fileprivate func handle(connection: OpaquePointer, url: String, method: String,
                            uploadData: UnsafePointer<CChar>?, uploadSize: UnsafeMutablePointer<Int>,
                            state statePointer: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        guard let raw = statePointer.pointee else {
            // First call: headers are in; the body (if any) follows in later calls.
            let request = HTTPRequest(method: method, path: url, query: Self.arguments(connection),
                                      headers: Self.headers(connection), body: [], receivedAt: MonotonicClock.now())
            let state = RequestState(request: request, limit: application.bodyLimit(method: method, path: url))
            statePointer.pointee = Unmanaged.passRetained(state).toOpaque()
            open.add(1)
            if let declared = request.header("content-length").flatMap({ Int($0) }), declared > state.limit {
                state.answered = true
                return send(application.payloadTooLarge(request, limit: state.limit), for: request, on: connection)
            }
            if let declared = request.header("content-length").flatMap({ Int($0) }), declared > 0 {
                // Reserve up front, but not so much that idle connections declaring big bodies pin memory.
                state.request.body.reserveCapacity(min(declared, 4 << 20))
            }
            return MHD_Result.YES
        }
        let state = Unmanaged<RequestState>.fromOpaque(raw).takeUnretainedValue()
        let size = uploadSize.pointee
        if size > 0 {
            uploadSize.pointee = 0
            if state.answered { return MHD_Result.YES }  // a response is queued; the rest is dropped
            if state.overflowed || state.request.body.count + size > state.limit {
                // libmicrohttpd cannot answer in the middle of an upload: drop the rest and answer 413
                // when it ends, or close the connection once a second limit's worth has been dropped.
                state.overflowed = true
                state.request.body = []
                state.discarded += size
                return state.discarded > state.limit ? MHD_Result.NO : MHD_Result.YES
            }
            if let data = uploadData {
                data.withMemoryRebound(to: UInt8.self, capacity: size) { bytes in
                    state.request.body.append(contentsOf: UnsafeBufferPointer(start: bytes, count: size))
                }
            }
            return MHD_Result.YES
        }
        if state.answered { return MHD_Result.YES }
        if state.overflowed {
            state.answered = true
            return send(application.payloadTooLarge(state.request, limit: state.limit), for: state.request, on: connection)
        }
        state.answered = true
        var request = state.request
        state.request.body = []
        // The socket stays open while this thread is in the handler, so the check may poll it.
        let fd = argus_mhd_connection_fd(connection)
        if fd >= 0 { request.clientGone = { Self.peerClosed(fd) } }
        return send(application.respond(to: request), for: request, on: connection)
    }

    /// Whether the peer has closed the connection: end of stream with no request bytes pending, or an error. As in
    /// nginx (499), a client that shuts down its sending side while waiting counts as gone; curl, browsers and the
    /// usual HTTP libraries keep both sides open until the answer.
    static func peerClosed(_ fd: Int32) -> Bool {
        let pollRDHUP: Int16 = 0x2000  // <poll.h>'s POLLRDHUP, behind _GNU_SOURCE there
        var p = pollfd(fd: fd, events: Int16(POLLIN) | pollRDHUP, revents: 0)
        guard poll(&p, 1, 0) > 0 else { return false }
        if p.revents & (Int16(POLLHUP) | Int16(POLLERR) | Int16(POLLNVAL)) != 0 { return true }
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    }

    private func send(_ response: HTTPResponse, for request: HTTPRequest, on connection: OpaquePointer) -> MHD_Result {
        let result: MHD_Result = response.body.withUnsafeBytes { bytes in
            guard let mhdResponse = MHD_create_response_from_buffer(
                bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY) else {
                return MHD_Result.NO
            }
            defer { MHD_destroy_response(mhdResponse) }
            for (name, value) in response.headers {
                _ = MHD_add_response_header(mhdResponse, name, value)
            }
            if draining.load(ordering: .relaxed) { _ = MHD_add_response_header(mhdResponse, "Connection", "close") }
            return MHD_queue_response(connection, UInt32(response.status), mhdResponse)
        }
        application.didRespond(to: request, with: response, milliseconds: MonotonicClock.milliseconds(since: request.receivedAt))
        return result
    }

    fileprivate func completed(state: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) {
        guard let state, let raw = state.pointee else { return }
        Unmanaged<RequestState>.fromOpaque(raw).release()
        state.pointee = nil
        open.add(-1)
    }

    private static func headers(_ connection: OpaquePointer) -> [String: String] {
        let collector = Collector()
        _ = MHD_get_connection_values(connection, .HEADER_KIND, collectValue, Unmanaged.passUnretained(collector).toOpaque())
        var headers: [String: String] = [:]
        for (name, value) in collector.pairs {
            let key = name.lowercased()
            headers[key] = headers[key].map { $0 + ", " + value } ?? value
        }
        return headers
    }

    private static func arguments(_ connection: OpaquePointer) -> [(name: String, value: String)] {
        let collector = Collector()
        _ = MHD_get_connection_values(connection, .GET_ARGUMENT_KIND, collectValue, Unmanaged.passUnretained(collector).toOpaque())
        return collector.pairs
    }
}

/// The request being read on one connection.
private final class RequestState {
    var request: HTTPRequest
    let limit: Int
    /// A response has been queued; anything more from the client is discarded.
    var answered = false
    /// The body went over the limit while streaming; what follows is dropped.
    var overflowed = false
    var discarded = 0
    init(request: HTTPRequest, limit: Int) { self.request = request; self.limit = limit }
}

/// Counts open requests so a drain can wait for the last response to be sent.
private final class OpenRequests: @unchecked Sendable {
    private let condition = NSCondition()
    private var count = 0

    func add(_ delta: Int) {
        condition.lock(); defer { condition.unlock() }
        count += delta
        if count == 0 { condition.broadcast() }
    }

    /// True when no request is open, false when `timeout` seconds passed first.
    func waitUntilNone(timeout: Double) -> Bool {
        let limit = Date(timeIntervalSinceNow: timeout)
        condition.lock(); defer { condition.unlock() }
        while count > 0 { if !condition.wait(until: limit) { return false } }
        return true
    }
}

/// Gathers key/value pairs from `MHD_get_connection_values`.
private final class Collector {
    var pairs: [(name: String, value: String)] = []
}

private let collectValue: MHD_KeyValueIterator = { context, _, key, value in
    guard let context, let key else { return MHD_Result.YES }
    let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
    collector.pairs.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
    return MHD_Result.YES
}

private let accessHandler: MHD_AccessHandlerCallback = { context, connection, url, method, _, uploadData, uploadSize, state in
    guard let context, let connection, let uploadSize, let state else { return MHD_Result.NO }
    let server = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue()
    return server.handle(connection: connection, url: url.map { String(cString: $0) } ?? "/",
                         method: method.map { String(cString: $0) } ?? "",
                         uploadData: uploadData, uploadSize: uploadSize, state: state)
}

private let requestCompleted: MHD_RequestCompletedCallback = { context, _, state, _ in
    guard let context else { return }
    Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue().completed(state: state)
}
