import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking socket work on a thread of its own: never on Swift's cooperative pool,
/// which the server under test needs for its handlers, nor on Dispatch's global queue,
/// which grows only slowly when its few threads block.
func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try work() })
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

/// A blocking HTTP/1.1 client over a plain socket: tests read the exact bytes the server
/// sends, control when they read (or stop reading), and send what browsers would not.
final class RawConnection: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, receiveBuffer: Int? = nil) throws {
        // The socket is only stored once connected: a throwing initializer of a fully
        // initialized object runs `deinit`, which would close the descriptor a second time
        // (by then, maybe, a socket the server in this process just accepted).
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw RawError.socket(errno) }
        if var size = receiveBuffer.map(Int32.init) {
            setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let error = errno
            close(socket)
            throw RawError.connect(error)
        }
        fd = socket
    }

    deinit { close(fd) }

    /// Closes the connection as a client that goes away would (FIN, or RST if unread data remains).
    func shutdown() {
        Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw RawError.send(errno) }
            sent += n
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends a request; `path` goes on the wire as given (no encoding).
    func request(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = [], close: Bool = false
    ) throws {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        if close { head += "Connection: close\r\n" }
        head += "\r\n"
        try send(Array(head.utf8) + body)
    }

    /// Reads whatever arrives within `timeout`; empty if nothing (or the peer closed).
    func readAvailable(timeout: Double) throws -> [UInt8] {
        if !buffer.isEmpty {
            defer { buffer.removeAll() }
            return buffer
        }
        guard try wait(timeout) else { return [] }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { return [] }
        return Array(chunk[..<n])
    }

    /// Whether the peer has closed the connection (reads return EOF) within `timeout`.
    func isClosedByPeer(timeout: Double) throws -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            guard try wait(end.timeIntervalSinceNow) else { return false }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return true }
        }
        return false
    }

    private func wait(_ timeout: Double) throws -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let result = poll(&pfd, 1, Int32(max(0, timeout) * 1000))
        return result > 0
    }

    private func fill(timeout: Double) throws -> Bool {
        guard try wait(timeout) else { throw RawError.timeout }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { return false }
        buffer += chunk[..<n]
        return true
    }

    /// Reads a response head: status and headers (names lower-cased).
    func readHead(timeout: Double = 10) throws -> (status: Int, headers: [String: String]) {
        while true {
            if let end = find([13, 10, 13, 10]) {
                let text = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                var lines = text.components(separatedBy: "\r\n")
                let status = Int(lines.removeFirst().split(separator: " ")[1]) ?? 0
                var headers: [String: String] = [:]
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                return (status, headers)
            }
            guard try fill(timeout: timeout) else { throw RawError.closed }
        }
    }

    /// Reads one chunk of a chunked body; `nil` at the last chunk.
    func readChunk(timeout: Double = 10) throws -> [UInt8]? {
        while true {
            if let lineEnd = find([13, 10]) {
                let size = Int(String(decoding: buffer[..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16) ?? 0
                if buffer.count >= lineEnd + 2 + size + 2 {
                    let data = Array(buffer[(lineEnd + 2)..<(lineEnd + 2 + size)])
                    buffer.removeFirst(lineEnd + 2 + size + 2)
                    return size == 0 ? nil : data
                }
            }
            guard try fill(timeout: timeout) else { throw RawError.closed }
        }
    }

    /// Reads a body of known length, or chunked, to its end.
    func readBody(headers: [String: String], timeout: Double = 30) throws -> [UInt8] {
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            var body: [UInt8] = []
            while let chunk = try readChunk(timeout: timeout) { body += chunk }
            return body
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while buffer.count < length { guard try fill(timeout: timeout) else { throw RawError.closed } }
        let body = Array(buffer[..<length])
        buffer.removeFirst(length)
        return body
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for i in 0...(buffer.count - needle.count) where buffer[i] == needle[0] {
            if Array(buffer[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}

enum RawError: Error {
    case socket(Int32), connect(Int32), send(Int32), timeout, closed
}

/// A complete response.
struct HTTPResult: @unchecked Sendable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body)) }
    var object: [String: Any] { (json as? [String: Any]) ?? [:] }
    var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
    var mediaType: String { headers["content-type"]?.split(separator: ";").first.map(String.init) ?? "" }
}

/// One request on a fresh connection, read to the end.
func http(
    _ port: Int, _ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = [],
    json: Any? = nil
) async throws -> HTTPResult {
    let payload = try json.map { try JSONSerialization.data(withJSONObject: $0) }
    return try await blocking { try httpBlocking(port, method, path, headers: headers, body: body, jsonData: payload) }
}

func httpBlocking(
    _ port: Int, _ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = [],
    jsonData: Data? = nil
) throws -> HTTPResult {
    let connection = try RawConnection(port: port)
    var headers = headers
    var body = body
    if let jsonData {
        body = Array(jsonData)
        if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            headers.append(("Content-Type", "application/json"))
        }
    }
    try connection.request(method, path, headers: headers, body: body, close: true)
    let head = try connection.readHead()
    let content = head.status == 204 || method == "HEAD" ? [] : try connection.readBody(headers: head.headers)
    return HTTPResult(status: head.status, headers: head.headers, body: content)
}

/// Percent-encodes a query value.
func encoded(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
}
