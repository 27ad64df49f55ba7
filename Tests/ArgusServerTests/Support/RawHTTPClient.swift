import Foundation
import Glibc

/// A parsed HTTP response.
struct RawResponse {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers[name.lowercased()] }
    /// The body parsed as JSON (the server's own parser; the tests also check raw text where it matters).
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body)) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    /// `error.code` of an Argus error body.
    var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
}

/// A tiny blocking HTTP/1.1 client over a TCP socket: sends exactly the bytes given (so tests can
/// send malformed requests) and reads until the server closes (`Connection: close`).
enum RawHTTPClient {
    struct ClientError: Error, CustomStringConvertible { var description: String }

    /// Sends a request built from parts; adds Host, Content-Length and Connection: close.
    static func request(port: Int, method: String, path: String, headers: [(String, String)] = [],
                        body: [UInt8] = [], contentLength: Bool = true, timeout: Double = 20) throws -> RawResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if contentLength && (!body.isEmpty || method == "POST") { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        // Both sides stay open until the answer (Connection: close ends it): a client that shuts down its sending
        // side counts as gone, and its queued work is dropped.
        return try send(port: port, bytes: Array(head.utf8) + body, timeout: timeout, shutdownWrite: false)
    }

    /// A TCP socket connected to 127.0.0.1:`port` (the caller closes it).
    private static func connected(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError(description: "socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ClientError(description: "connect failed: \(message)")
        }
        return fd
    }

    /// Connects, sends `bytes` and closes the socket at once, reading nothing: a client that gives up.
    static func sendAndClose(port: Int, bytes: [UInt8]) throws {
        let fd = try connected(port: port)
        defer { close(fd) }
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
    }

    /// Sends raw bytes and parses whatever comes back.
    static func send(port: Int, bytes: [UInt8], timeout: Double = 20, shutdownWrite: Bool = true) throws -> RawResponse {
        let fd = try connected(port: port)
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }  // the server may answer (413) and close before reading everything
            sent += n
        }
        if shutdownWrite && sent == bytes.count { shutdown(fd, Int32(SHUT_WR)) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { received += buffer[0..<n]; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && received.isEmpty {
                throw ClientError(description: "timed out waiting for a response")
            }
            break
        }
        return try parse(received)
    }

    static func parse(_ bytes: [UInt8]) throws -> RawResponse {
        guard let end = find(bytes, Array("\r\n\r\n".utf8)) else {
            throw ClientError(description: "no complete response head in \(bytes.count) bytes")
        }
        let head = String(decoding: bytes[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw ClientError(description: "bad status line \(head[0])") }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(bytes[(end + 4)...])
        if let length = headers["content-length"].flatMap(Int.init), body.count > length { body = Array(body.prefix(length)) }
        return RawResponse(status: status, headers: headers, body: body)
    }

    static func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }
}
