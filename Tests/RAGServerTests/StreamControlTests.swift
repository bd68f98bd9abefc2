import Foundation
import Testing

@testable import RAGCore
@testable import RAGServer

@Suite("Streams that survive the real world")
struct StreamControlTests {
    static let question = "What colour was the Verrin lighthouse on Skellmoor painted?"

    @Test("Resume after a cut at several points, on the same URL and on the job's events, with no new generation")
    func resume() async throws {
        let server = try await TestServer { $0.tokenDelay = .milliseconds(10) }
        for cut in [1, 2, 3, 6] {
            let first = try await server.ask(Self.question)
            var head: [SSEStream.Event] = []
            for _ in 0..<cut { head.append(try #require(try await first.next())) }
            first.connection.shutdown()
            let jobsBefore = server.service.state.jobs.all.count
            let lastID = head.last!.id
            // The same URL with the header, as EventSource does...
            let again = try await server.ask(Self.question, headers: [("Last-Event-ID", lastID)])
            #expect(again.status == 200)
            let rest = try await again.all()
            expectComplete(head + rest)
            // ...and the job's events URL with the query parameter.
            let job = head[0].job
            let viaJob = try await SSEStream(
                port: server.port, path: "/v1/jobs/\(job)/events?last_event_id=\(encoded(lastID))")
            expectComplete(head + (try await viaJob.all()))
            #expect(server.service.state.jobs.all.count == jobsBefore, "resuming must not start a new job")
        }
    }

    @Test("204 after the final event, 404 for an unknown job, 400 for a malformed id")
    func resumeEdges() async throws {
        let server = try await TestServer()
        let events = try await server.ask(Self.question).all()
        let last = try #require(events.last?.id)
        let done = try await server.request(
            "GET", "/v1/ask?q=x", headers: [("Accept", "text/event-stream"), ("Last-Event-ID", last)])
        #expect(done.status == 204)
        let unknown = try await server.request("GET", "/v1/ask?q=x", headers: [("Last-Event-ID", "000000000000:3")])
        #expect(unknown.status == 404 && unknown.errorCode == "not_found")
        for bad in ["no-seq-here", "abc:", ":3", "abc:x", "abc:-1"] {
            let malformed = try await server.request("GET", "/v1/ask?q=x", headers: [("Last-Event-ID", bad)])
            #expect(malformed.status == 400 && malformed.errorCode == "bad_request", "\(bad)")
        }
        let job = events[0].job
        let ahead = try await server.request("GET", "/v1/jobs/\(job)/events", headers: [("Last-Event-ID", "\(job):999")])
        #expect(ahead.status == 400)
        #expect(try await server.request("GET", "/v1/jobs/\(job)/events", headers: [("Last-Event-ID", "other:1")]).status == 400)
        #expect(try await server.request("GET", "/v1/jobs/nope/events").status == 404)
    }

    @Test("Pause freezes the answer, resume continues it, cancel ends it; 409 once finished")
    func pauseResumeCancel() async throws {
        let server = try await TestServer { $0.tokenDelay = .milliseconds(40) }
        let created = try await server.request("POST", "/v1/jobs", json: ["question": Self.question, "top_k": 3])
        #expect(created.status == 202)
        let id = try #require(created.object["id"] as? String)
        #expect(created.object["events"] as? String == "/v1/jobs/\(id)/events")
        _ = await server.eventually { ((try? await server.request("GET", "/v1/jobs/\(id)").object["answer"] as? String) ?? "").count > 3 }

        let paused = try await server.request("POST", "/v1/jobs/\(id)/pause")
        #expect(paused.status == 200 && paused.object["status"] as? String == "paused")
        #expect(try await server.request("POST", "/v1/jobs/\(id)/pause").status == 200, "pausing a paused job is fine")
        let frozen = try await server.request("GET", "/v1/jobs/\(id)").object
        try await Task.sleep(for: .milliseconds(400))
        let still = try await server.request("GET", "/v1/jobs/\(id)").object
        #expect(still["status"] as? String == "paused")
        #expect(still["answer"] as? String == frozen["answer"] as? String, "a paused job produces nothing")

        #expect(try await server.request("POST", "/v1/jobs/\(id)/resume").object["status"] as? String == "running")
        #expect(await server.eventually {
            ((try? await server.request("GET", "/v1/jobs/\(id)").object["answer"] as? String) ?? "").count
                > (frozen["answer"] as? String ?? "").count
        })
        let cancelled = try await server.request("POST", "/v1/jobs/\(id)/cancel")
        #expect(cancelled.object["status"] as? String == "cancelled")
        let events = try await SSEStream(port: server.port, path: "/v1/jobs/\(id)/events").all()
        expectComplete(events)
        #expect(events.done?["finish_reason"] as? String == "cancelled")
        let stages = events.compactMap { $0.data["stage"] as? String }
        #expect(stages.contains("paused") && stages.contains("resumed"))

        for action in ["pause", "resume", "cancel"] {
            let conflict = try await server.request("POST", "/v1/jobs/\(id)/\(action)")
            #expect(conflict.status == 409 && conflict.errorCode == "conflict")
        }
        #expect(try await server.request("POST", "/v1/jobs/nope/pause").status == 404)
        let view = try await server.request("GET", "/v1/jobs/\(id)").object
        #expect(view["finish_reason"] as? String == "cancelled")
        #expect(view["question"] as? String == Self.question)
    }

    @Test("A client that leaves stops its job after the grace period; one that comes back in time does not")
    func gracePeriod() async throws {
        let server = try await TestServer {
            $0.tokenDelay = .milliseconds(100)
            // The returning client comes back after 200 ms; the rest of the grace is slack for
            // a loaded machine (each job's timer cancels it exactly at the grace).
            $0.resumeGrace = .seconds(1)
            $0.tickInterval = .milliseconds(50)
        }
        // Leaves and never comes back: the job is cancelled, generation stops.
        let leaving = try await server.ask(Self.question)
        let first = try #require(try await leaving.next())
        _ = try await leaving.next()
        leaving.connection.shutdown()
        let job = try #require(server.service.state.jobs.job(first.job))
        #expect(await server.eventually(timeout: 3) { job.status == .cancelled })
        let answer = job.answer
        try await Task.sleep(for: .milliseconds(400))
        #expect(job.answer == answer, "a cancelled job generates no more")

        // Leaves and comes back within the grace: the job goes on to the end.
        let returning = try await server.ask(Self.question)
        let start = try #require(try await returning.next())
        returning.connection.shutdown()
        try await Task.sleep(for: .milliseconds(200))
        let resumed = try await server.ask(Self.question, headers: [("Last-Event-ID", start.id)])
        let rest = try await resumed.all()
        expectComplete([start] + rest)
        #expect(rest.done?["finish_reason"] as? String == "stop")
    }

    @Test("A frozen reader is dropped after the send timeout while other streams go on")
    func frozenReader() async throws {
        let long = (0..<400).map { "Sentence \($0) about the quorvath cheese of Tamsby and its copper bells." }.joined(separator: " ")
        var documents = TestServer.documents
        for i in 0..<12 {
            // Content is exported as ingested: large documents make a large export (10+ MB).
            documents.append(DocumentInput(id: "bulk/\(i).txt", format: .text, text: "Bulk \(i)\n\n" + String(repeating: long + "\n\n", count: 30)))
        }
        let server = try await TestServer(
            configure: {
                $0.sendTimeout = .milliseconds(800)
                $0.tickInterval = .milliseconds(100)
            }, documents: documents)
        let full = try await server.request("GET", "/v1/export").body.count
        #expect(full > 10_000_000)
        // A client that never reads fills the socket buffers.
        let frozen = try RawConnection(port: server.port, receiveBuffer: 4096)
        try frozen.request("GET", "/v1/export")
        #expect(await server.eventually(timeout: 5) { server.service.state.registry.count == 1 })
        // Meanwhile another client is served completely.
        let events = try await server.ask(Self.question).all()
        expectComplete(events)
        // The frozen one is cut once a write has waited past the send timeout.
        #expect(await server.eventually(timeout: 5) { server.service.state.registry.count == 0 })
        let port = server.port
        let closed = try await blocking {
            // Drain what the kernel buffered; the connection must then be closed.
            var total = 0
            while true {
                let bytes = try frozen.readAvailable(timeout: 2)
                if bytes.isEmpty { break }
                total += bytes.count
            }
            return total
        }
        #expect(closed < full, "the export was cut, not completed")
        #expect(try await http(port, "GET", "/healthz").status == 200)
    }

    @Test("More streams than --max-streams (SSE or WebSocket) get 503 with Retry-After")
    func maxStreams() async throws {
        let server = try await TestServer {
            $0.maxStreams = 2
            $0.tokenDelay = .milliseconds(200)
        }
        let a = try await server.ask(Self.question)
        let b = try await server.ask(Self.question)
        _ = try await a.next()
        _ = try await b.next()
        let third = try await server.request("GET", "/v1/ask?q=\(encoded(Self.question))", headers: [("Accept", "text/event-stream")])
        #expect(third.status == 503)
        #expect(third.errorCode == "overloaded")
        #expect(third.headers["retry-after"] != nil)
        // A WebSocket is a stream too: its upgrade is refused the same way.
        let upgrade = try await http(
            server.port, "GET", "/v1/ws",
            headers: [
                ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13"),
                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ])
        #expect(upgrade.status == 503)
        #expect(upgrade.errorCode == "overloaded")
        #expect(upgrade.headers["retry-after"] == "1")
        // JSON asks are not streams and still work.
        #expect(try await server.request("POST", "/v1/ask", json: ["question": Self.question, "stream": false]).status == 200)
    }

    @Test("Graceful shutdown ends open streams with an error event shutting_down")
    func shutdown() async throws {
        let server = try await TestServer { $0.tokenDelay = .milliseconds(200) }
        let stream = try await server.ask(Self.question)
        _ = try await stream.next()
        let shutdown = Task { try await server.shutDown() }
        let rest = try await stream.all(timeout: 10)
        let last = try #require(rest.last)
        #expect(last.event == "error")
        #expect(last.data["code"] as? String == "shutting_down")
        try await shutdown.value
        await #expect(throws: (any Error).self) { _ = try await http(server.port, "GET", "/healthz") }
    }
}
