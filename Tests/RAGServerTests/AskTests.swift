import Foundation
import Testing

@testable import RAGServer

@Suite("Ask: SSE framing, order, citations, JSON mode")
struct AskTests {
    static let question = "What colour was the Verrin lighthouse on Skellmoor painted?"

    @Test("The raw stream: headers, retry, ids, searching, found, tokens, done")
    func framing() async throws {
        let server = try await TestServer()
        let stream = try await server.ask(Self.question)
        #expect(stream.status == 200)
        #expect(stream.headers["content-type"] == "text/event-stream; charset=utf-8")
        #expect(stream.headers["cache-control"] == "no-cache")
        #expect(stream.headers["x-accel-buffering"] == "no")
        #expect(stream.headers["content-encoding"] == nil)
        let events = try await stream.all()
        #expect(String(decoding: stream.rawBytes.prefix(13), as: UTF8.self) == "retry: 3000\n\n")
        #expect(stream.retry == 3000)
        #expect(events.map(\.seq) == Array(1...events.count))
        #expect(Set(events.map(\.job)).count == 1)
        #expect(events[0].event == "progress" && events[0].data["stage"] as? String == "searching")
        #expect(events[0].data["query"] as? String == Self.question)
        #expect(events[1].data["stage"] as? String == "found")
        let docs = events[1].data["docs"] as? [[String: Any]] ?? []
        #expect(events[1].data["count"] as? Int == docs.count && !docs.isEmpty)
        #expect(events[1].data["message"] as? String == "found \(docs.count) docs")
        #expect(docs.first?["doc_id"] as? String == "en/lighthouse.txt")
        for doc in docs {
            #expect(Set(doc.keys) == ["doc_id", "passage_id", "title", "heading", "source", "score", "snippet"])
        }
        let scores = docs.compactMap { $0["score"] as? Double }
        #expect(zip(scores, scores.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(events[2..<(events.count - 1)].allSatisfy { $0.event == "token" })
        #expect(events.filter { $0.event == "token" }.count > 5, "streamed word by word")
        let done = try #require(events.done)
        #expect(events.last?.event == "done")
        #expect(done["answer"] as? String == events.tokens)
        #expect(done["finish_reason"] as? String == "stop")
        #expect((done["answer"] as? String)?.contains("teal") == true)
        let timings = done["timings"] as? [String: Any]
        #expect(timings?["retrieval_ms"] is Double || timings?["retrieval_ms"] is Int)
        // Every [n] points at a found passage, and citations list what the answer cites.
        let answer = done["answer"] as? String ?? ""
        let cited = Set(answer.matches(of: /\[(\d+)\]/).map { Int($0.1)! })
        #expect(!cited.isEmpty && cited.allSatisfy { (1...docs.count).contains($0) })
        let citations = done["citations"] as? [[String: Any]] ?? []
        #expect(Set(citations.compactMap { $0["index"] as? Int }) == cited)
        for citation in citations {
            let index = citation["index"] as! Int
            #expect(citation["doc_id"] as? String == docs[index - 1]["doc_id"] as? String)
        }
    }

    @Test("The first bytes arrive before retrieval finishes")
    func firstBytesBeforeRetrieval() async throws {
        // Retrieval cannot finish until the gate opens, and the gate opens only once
        // `searching` has arrived: had the first bytes waited for retrieval, they would
        // never come (the read times out).
        let gate = RetrievalGate()
        let server = try await TestServer(retriever: { GatedRetriever(inner: $0, gate: gate) })
        let stream = try await server.ask(Self.question)
        let searching = try #require(try await stream.next(timeout: 10))
        #expect(searching.data["stage"] as? String == "searching")
        gate.open()
        let found = try #require(try await stream.next())
        #expect(found.data["stage"] as? String == "found")
    }

    @Test("POST streams by default; JSON through Accept or stream:false; stream wins over Accept")
    func modes() async throws {
        let server = try await TestServer()
        let post = try await SSEStream(port: server.port, method: "POST", path: "/v1/ask", json: ["question": Self.question, "top_k": 3])
        let events = try await post.all()
        #expect(post.headers["content-type"] == "text/event-stream; charset=utf-8")
        #expect(events.last?.event == "done")
        #expect((events[1].data["docs"] as? [Any])?.count ?? 99 <= 3)

        for response in [
            try await server.request("GET", "/v1/ask?q=\(encoded(Self.question))", headers: [("Accept", "application/json")]),
            try await server.request("POST", "/v1/ask", json: ["question": Self.question, "stream": false]),
            try await server.request(
                "POST", "/v1/ask", headers: [("Accept", "text/event-stream")], json: ["question": Self.question, "stream": false]),
        ] {
            #expect(response.status == 200)
            #expect(response.mediaType == "application/json")
            let body = response.object
            #expect(Set(body.keys) == ["job_id", "answer", "docs", "citations", "finish_reason", "timings"])
            #expect((body["answer"] as? String)?.contains("teal") == true)
        }
        let forced = try await SSEStream(
            port: server.port, method: "POST", path: "/v1/ask", headers: [("Accept", "application/json")],
            json: ["question": Self.question, "stream": true])
        #expect(forced.headers["content-type"] == "text/event-stream; charset=utf-8")
        _ = try await forced.all()
    }

    @Test("Nothing relevant: found 0, then no_context in the question's language", arguments: [
        ("What is the airspeed of a zorbulated quintaflux?", "I could not find"),
        ("量子纠缠的原理是什么？", "没有找到"),
    ])
    func noContext(question: String, expected: String) async throws {
        let server = try await TestServer()
        let events = try await server.ask(question).all()
        #expect(events[1].data["count"] as? Int == 0)
        #expect((events[1].data["docs"] as? [Any])?.isEmpty == true)
        let done = try #require(events.done)
        #expect(done["finish_reason"] as? String == "no_context")
        #expect((done["answer"] as? String)?.contains(expected) == true)
        #expect(done["answer"] as? String == events.tokens)
        #expect((done["citations"] as? [Any])?.isEmpty == true)
    }

    @Test("Chinese questions get Chinese answers streamed a few characters at a time")
    func chinese() async throws {
        let server = try await TestServer()
        let events = try await server.ask("青岚茶在什么时候采摘？").all()
        let done = try #require(events.done)
        #expect(done["finish_reason"] as? String == "stop")
        #expect((done["answer"] as? String)?.contains("霜降") == true)
        let pieces = events.filter { $0.event == "token" }.map(\.text)
        #expect(pieces.count > 5)
        #expect(pieces.allSatisfy { $0.unicodeScalars.filter { $0.value > 0x3000 }.count <= 3 })
    }

    @Test("A stream has its connection to itself: Connection: close, whole chunks, then the server closes")
    func streamConnection() async throws {
        // The stream is written on a channel of its own after the head (see
        // ConnectionHandoff): the wire must not show the seam, and the connection must
        // end cleanly, since it cannot serve another request.
        let server = try await TestServer()
        let port = server.port
        let question = encoded(Self.question)
        let (head, body, closed) = try await blocking {
            let connection = try RawConnection(port: port, receiveBuffer: 2048)
            try connection.request("GET", "/v1/ask?q=\(question)")
            let head = try connection.readHead()
            let body = try connection.readBody(headers: head.headers)
            return (head, body, try connection.isClosedByPeer(timeout: 5))
        }
        #expect(head.status == 200)
        #expect(head.headers["connection"] == "close")
        #expect(head.headers["transfer-encoding"] == "chunked")
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.hasPrefix("retry: 3000\n\nid: "))
        #expect(text.hasSuffix("\n\n") && text.contains("event: done\n"))
        #expect(text.components(separatedBy: "event: done\n").count == 2, "one done event")
        #expect(closed, "the server closes the connection after the last chunk")
        // Many streams at once, each on its own connection, and then the server still answers.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    let events = try await server.ask(Self.question).all()
                    expectComplete(events)
                }
            }
            try await group.waitForAll()
        }
        #expect(try await http(port, "GET", "/healthz").status == 200)
    }

    @Test("A heartbeat comment during silences, through the same stream")
    func heartbeat() async throws {
        let server = try await TestServer(configure: {
            $0.heartbeat = .milliseconds(400)
            $0.tickInterval = .milliseconds(100)
            $0.tokenDelay = .milliseconds(200)
        })
        let created = try await server.request("POST", "/v1/jobs", json: ["question": Self.question])
        let id = try #require(created.object["id"] as? String)
        #expect(try await server.request("POST", "/v1/jobs/\(id)/pause").status == 200)
        // The paused job is silent: the stream must carry pings, and no event.
        let stream = try await SSEStream(port: server.port, path: "/v1/jobs/\(id)/events")
        var events: [SSEStream.Event] = []
        let end = Date().addingTimeInterval(3)
        while !stream.comments.contains(": ping") && Date() < end {
            if let event = try? await stream.next(timeout: 0.2) { events.append(event) }
        }
        #expect(stream.comments.contains(": ping"))
        #expect(events.last?.data["stage"] as? String == "paused")
        _ = try await server.request("POST", "/v1/jobs/\(id)/cancel")
        let rest = try await stream.all()
        #expect(rest.last?.event == "done")
        #expect(rest.done?["finish_reason"] as? String == "cancelled")
    }
}
