import Foundation
import Testing

/// A strict Server-Sent Events reader over a raw connection: every event has exactly one
/// `id`, `event` and `data` line, data is one line of JSON, and nothing else appears but
/// `retry:` and comments.
final class SSEStream: @unchecked Sendable {
    struct Event: @unchecked Sendable {
        var id: String
        var event: String
        var data: [String: Any]
        var job: String { String(id[..<id.lastIndex(of: ":")!]) }
        var seq: Int { Int(id[id.index(after: id.lastIndex(of: ":")!)...])! }
        var text: String { data["text"] as? String ?? "" }
    }

    let connection: RawConnection
    let status: Int
    let headers: [String: String]
    private var pending = ""
    private(set) var retry: Int?
    private(set) var comments: [String] = []
    private(set) var rawBytes: [UInt8] = []
    private(set) var ended = false

    /// Sends the request and reads the response head.
    init(port: Int, method: String = "GET", path: String, headers: [(String, String)] = [], json: Any? = nil, receiveBuffer: Int? = nil) async throws {
        var headers = headers
        var body: [UInt8] = []
        if let json {
            body = Array(try JSONSerialization.data(withJSONObject: json))
            headers.append(("Content-Type", "application/json"))
        }
        if !headers.contains(where: { $0.0.lowercased() == "accept" }) { headers.append(("Accept", "text/event-stream")) }
        let request = (headers, body)
        let (connection, head) = try await blocking {
            let connection = try RawConnection(port: port, receiveBuffer: receiveBuffer)
            try connection.request(method, path, headers: request.0, body: request.1)
            return (connection, try connection.readHead())
        }
        self.connection = connection
        (status, self.headers) = head
    }

    /// The next event, or `nil` when the stream ends.
    func next(timeout: Double = 20) async throws -> Event? {
        try await blocking { try self.nextBlocking(timeout: timeout) }
    }

    /// Every event to the end of the stream.
    func all(timeout: Double = 20) async throws -> [Event] {
        try await blocking {
            var events: [Event] = []
            while let event = try self.nextBlocking(timeout: timeout) { events.append(event) }
            return events
        }
    }

    /// The next event within `timeout` overall (comments alone do not count as an event).
    private func nextBlocking(timeout: Double) throws -> Event? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let end = pending.range(of: "\n\n") {
                let block = String(pending[..<end.lowerBound])
                pending.removeSubrange(..<end.upperBound)
                if let event = try parse(block) { return event }
                continue
            }
            if ended { return nil }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { throw RawError.timeout }
            guard let chunk = try connection.readChunk(timeout: remaining) else {
                ended = true
                #expect(pending.isEmpty, "the stream ended inside an event: \(pending)")
                return nil
            }
            rawBytes += chunk
            pending += String(decoding: chunk, as: UTF8.self)
        }
    }

    private func parse(_ block: String) throws -> Event? {
        var fields: [String: String] = [:]
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(":") {
                comments.append(String(line))
                continue
            }
            guard let colon = line.firstIndex(of: ":") else {
                Issue.record("SSE line without a colon: \(line)")
                continue
            }
            let name = String(line[..<colon])
            var value = String(line[line.index(after: colon)...])
            if value.hasPrefix(" ") { value.removeFirst() }
            #expect(["id", "event", "data", "retry"].contains(name), "unexpected field \(name)")
            #expect(fields[name] == nil, "field \(name) repeated in \(block)")
            fields[name] = value
        }
        if let retry = fields.removeValue(forKey: "retry") { self.retry = Int(retry) }
        if fields.isEmpty { return nil }
        #expect(Set(fields.keys) == ["id", "event", "data"], "event block \(block)")
        let data = (try? JSONSerialization.jsonObject(with: Data((fields["data"] ?? "").utf8))) as? [String: Any]
        #expect(data != nil, "data is not a JSON object: \(fields["data"] ?? "")")
        return Event(id: fields["id"] ?? "", event: fields["event"] ?? "", data: data ?? [:])
    }
}

extension Array where Element == SSEStream.Event {
    var tokens: String { filter { $0.event == "token" }.map(\.text).joined() }
    var done: [String: Any]? { last(where: { $0.event == "done" })?.data }
}

/// Checks that events form one complete job: seq 1...n, one job, ends with done.
func expectComplete(_ events: [SSEStream.Event], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(events.map(\.seq) == Array(1...max(1, events.count)), sourceLocation: sourceLocation)
    #expect(Set(events.map(\.job)).count == 1, sourceLocation: sourceLocation)
    #expect(events.last?.event == "done", sourceLocation: sourceLocation)
    #expect(events.done?["answer"] as? String == events.tokens, sourceLocation: sourceLocation)
}
