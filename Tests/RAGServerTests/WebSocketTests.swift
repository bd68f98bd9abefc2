import Foundation
import HummingbirdWSClient
import Logging
import Testing

@testable import RAGCore

@Suite("WebSocket: ask, pause, resume and cancel over one connection")
struct WebSocketTests {
    static let question = "What colour was the Verrin lighthouse on Skellmoor painted?"

    /// Frames received, as JSON objects.
    final class Frames: @unchecked Sendable {
        private let lock = NSLock()
        private var frames: [[String: Any]] = []
        var all: [[String: Any]] { lock.withLock { frames } }
        func add(_ frame: [String: Any]) { lock.withLock { frames.append(frame) } }
        func count(_ type: String) -> Int { all.filter { $0["type"] as? String == type }.count }
    }

    @Test("The full flow and bad frames, over the real socket")
    func flow() async throws {
        let server = try await TestServer { $0.tokenDelay = .milliseconds(30) }
        let frames = Frames()
        var logger = Logger(label: "ws-test")
        logger.logLevel = .warning
        let client = WebSocketClient(url: "ws://127.0.0.1:\(server.port)/v1/ws", logger: logger) { inbound, outbound, _ in
            func send(_ object: Any) async throws {
                try await outbound.write(.text(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)))
            }
            var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
            func receive() async throws -> [String: Any] {
                guard case .text(let text)? = try await messages.next() else { throw RawError.closed }
                let frame = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
                frames.add(frame)
                return frame
            }
            // A control before any ask, and frames that are not what they should be.
            try await send(["type": "pause"])
            #expect(try await receive()["code"] as? String == "no_job")
            try await outbound.write(.text("not json"))
            #expect(try await receive()["code"] as? String == "bad_request")
            try await send(["type": "dance"])
            #expect(try await receive()["code"] as? String == "bad_request")
            try await send(["type": "ask", "question": ""])
            #expect(try await receive()["code"] as? String == "validation_failed")

            // Ask, pause after a few tokens, resume, then cancel.
            try await send(["type": "ask", "question": WebSocketTests.question, "top_k": 3])
            var frame = try await receive()
            #expect(frame["type"] as? String == "progress" && frame["stage"] as? String == "searching")
            let job = frame["job_id"] as? String ?? ""
            #expect(frame["id"] as? String == "\(job):1")
            while frames.count("token") < 3 { _ = try await receive() }
            try await send(["type": "pause"])
            repeat { frame = try await receive() } while frame["stage"] as? String != "paused"
            let tokensWhenPaused = frames.count("token")
            try await Task.sleep(for: .milliseconds(300))
            try await send(["type": "resume"])
            repeat { frame = try await receive() } while frame["stage"] as? String != "resumed"
            #expect(frames.count("token") == tokensWhenPaused, "no token while paused")
            repeat { frame = try await receive() } while frame["type"] as? String != "token"
            try await send(["type": "cancel"])
            repeat { frame = try await receive() } while frame["type"] as? String != "done"
            #expect(frame["finish_reason"] as? String == "cancelled")
            #expect(frame["job_id"] as? String == job)

            // The connection is still open: ask again, to the end.
            try await send(["type": "ask", "question": WebSocketTests.question])
            repeat { frame = try await receive() } while frame["type"] as? String != "done"
            #expect(frame["finish_reason"] as? String == "stop")
            try await send(["type": "cancel"])
            #expect(try await receive()["code"] as? String == "conflict")
            try await outbound.close(.normalClosure, reason: nil)
        }
        try await client.run()
        // Ids are consecutive per job, as in SSE.
        let byJob = Dictionary(grouping: frames.all.filter { $0["job_id"] != nil }) { $0["job_id"] as! String }
        for (job, jobFrames) in byJob {
            let seqs = jobFrames.compactMap { ($0["id"] as? String)?.split(separator: ":").last.flatMap { Int($0) } }
            #expect(seqs == Array(1...seqs.count), "\(job)")
        }
    }

    @Test("A closed socket leaves its job readerless, and the grace period cancels it")
    func closedSocket() async throws {
        let server = try await TestServer {
            $0.tokenDelay = .milliseconds(100)
            $0.resumeGrace = .milliseconds(300)
            $0.tickInterval = .milliseconds(50)
        }
        let jobID = JobID()
        var logger = Logger(label: "ws-test")
        logger.logLevel = .warning
        let client = WebSocketClient(url: "ws://127.0.0.1:\(server.port)/v1/ws", logger: logger) { inbound, outbound, _ in
            try await outbound.write(.text(#"{"type":"ask","question":"What colour was the Verrin lighthouse painted?"}"#))
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message, text.contains("\"token\"") else { continue }
                let frame = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
                jobID.value = frame["job_id"] as? String
                break
            }
            try await outbound.close(.goingAway, reason: nil)
        }
        try await client.run()
        let id = try #require(jobID.value)
        let job = try #require(server.service.state.jobs.job(id))
        #expect(await server.eventually(timeout: 3) { job.status == .cancelled })
    }

    final class JobID: @unchecked Sendable {
        var value: String?
    }
}
