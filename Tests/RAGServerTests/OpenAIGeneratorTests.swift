import Foundation
import Hummingbird
import Logging
import NIOCore
import RAGCore
import ServiceLifecycle
import Synchronization
import Testing

/// `--generator openai` against a fake OpenAI-compatible server on a loopback port: the
/// model's tokens stream through, a cancelled job closes the upstream request, and an
/// upstream failure ends the stream with an error event.
@Suite("The OpenAI-compatible generator")
struct OpenAIGeneratorTests {
    static let question = "What does backpressure do?"

    @Test("The model's tokens stream through as token events; it gets the numbered passages")
    func streamsTokens() async throws {
        let upstream = try await FakeModelServer(pieces: ["Backpressure ", "slows ", "a fast ", "producer ", "[1]."])
        let server = try await TestServer(generator: upstream.generator(model: "test-model"))
        let events = try await server.ask(Self.question).all()
        expectComplete(events)
        #expect(events.filter { $0.event == "token" }.map(\.text) == upstream.pieces)
        #expect(events.done?["answer"] as? String == upstream.pieces.joined())
        let citations = events.done?["citations"] as? [[String: Any]] ?? []
        #expect(citations.first?["doc_id"] as? String == "en/backpressure.html")

        let request = try #require(upstream.requests.first)
        #expect(request["model"]?.stringValue == "test-model")
        #expect(request["stream"] == .bool(true))
        let prompt = request["messages"]?.arrayValue?.last?["content"]?.stringValue ?? ""
        #expect(prompt.contains("[1] Backpressure") && prompt.contains("Question: \(Self.question)"))
    }

    @Test("Cancelling the job closes the request to the model's server")
    func cancelClosesUpstream() async throws {
        let upstream = try await FakeModelServer(pieces: Array(repeating: "word ", count: 100), delay: .milliseconds(100))
        let server = try await TestServer(generator: upstream.generator(model: "slow"))
        let created = try await server.request("POST", "/v1/jobs", json: ["question": Self.question])
        let id = try #require(created.object["id"] as? String)
        #expect(await server.eventually { upstream.written >= 2 })
        #expect(try await server.request("POST", "/v1/jobs/\(id)/cancel").status == 200)
        #expect(await server.eventually { upstream.closedByClient })
        #expect(upstream.written < 100, "the model's server stopped writing")
    }

    @Test("A client that leaves closes the request to the model's server after the resume grace")
    func disconnectClosesUpstream() async throws {
        let upstream = try await FakeModelServer(pieces: Array(repeating: "word ", count: 100), delay: .milliseconds(100))
        let server = try await TestServer(
            configure: {
                $0.resumeGrace = .milliseconds(300)
                $0.tickInterval = .milliseconds(50)
            }, generator: upstream.generator(model: "slow"))
        let stream = try await server.ask(Self.question)
        while let event = try await stream.next(), event.event != "token" {}
        stream.connection.shutdown()
        #expect(await server.eventually(timeout: 5) { upstream.closedByClient })
        #expect(upstream.written < 100, "the model's server stopped writing")
    }

    @Test("A JSON ask whose client leaves closes the request to the model's server")
    func jsonClientLeaves() async throws {
        let upstream = try await FakeModelServer(pieces: Array(repeating: "word ", count: 100), delay: .milliseconds(100))
        let server = try await TestServer(generator: upstream.generator(model: "slow"))
        let connection = try RawConnection(port: server.port)
        let body = Array(#"{"question":"\#(Self.question)","stream":false}"#.utf8)
        try connection.request("POST", "/v1/ask", headers: [("Content-Type", "application/json")], body: body)
        #expect(await server.eventually { upstream.written >= 2 })
        connection.shutdown()
        #expect(await server.eventually(timeout: 5) { upstream.closedByClient })
        #expect(upstream.written < 100, "the model's server stopped writing")
    }

    @Test("A chat completion stream cannot be resumed: its client leaving closes the model's request at once")
    func chatStreamClientLeaves() async throws {
        let upstream = try await FakeModelServer(pieces: Array(repeating: "word ", count: 100), delay: .milliseconds(100))
        // The resume grace (10 s here) is for streams that can be resumed; chunks cannot.
        let server = try await TestServer(configure: { $0.resumeGrace = .seconds(10) }, generator: upstream.generator(model: "slow"))
        let connection = try RawConnection(port: server.port)
        let body = Array(#"{"model":"rag","stream":true,"messages":[{"role":"user","content":"\#(Self.question)"}]}"#.utf8)
        try connection.request("POST", "/v1/chat/completions", headers: [("Content-Type", "application/json")], body: body)
        #expect(await server.eventually { upstream.written >= 2 })
        connection.shutdown()
        #expect(await server.eventually(timeout: 3) { upstream.closedByClient })
        #expect(upstream.written < 100)
    }

    @Test("Lines ended by CRLF or CR are read; a JSON answer to a stream request is taken whole")
    func upstreamVariants() async throws {
        let pieces = ["Backpressure ", "slows ", "producers ", "[1]."]
        for style in [FakeModelServer.Style.events(lineEnding: "\r\n"), .events(lineEnding: "\r"), .json] {
            let upstream = try await FakeModelServer(pieces: pieces, style: style)
            let server = try await TestServer(generator: upstream.generator(model: "variant"))
            let events = try await server.ask(Self.question).all()
            expectComplete(events)
            #expect(events.done?["answer"] as? String == pieces.joined(), "\(style)")
        }
    }

    @Test("A model that stops at its token limit ends the answer with finish_reason length, here and in chat completions")
    func lengthLimit() async throws {
        let upstream = try await FakeModelServer(pieces: ["Backpressure ", "slows"], finishReason: "length")
        let server = try await TestServer(generator: upstream.generator(model: "short"))
        let events = try await server.ask(Self.question).all()
        expectComplete(events)
        #expect(events.done?["finish_reason"] as? String == "length")
        #expect(events.done?["answer"] as? String == "Backpressure slows")
        let completion = try await server.request(
            "POST", "/v1/chat/completions", json: ["model": "rag", "messages": [["role": "user", "content": Self.question]]])
        let choice = (completion.object["choices"] as? [[String: Any]])?.first
        #expect(choice?["finish_reason"] as? String == "length")
    }

    @Test("An answer cut before its end is an error, not a short answer")
    func upstreamCut() async throws {
        let upstream = try await FakeModelServer(pieces: ["Backpressure ", "slows "], style: .cut)
        let server = try await TestServer(generator: upstream.generator(model: "cut"))
        let events = try await server.ask(Self.question).all()
        #expect(events.last?.event == "error")
        let message = events.last?.data["message"] as? String ?? ""
        #expect(message.contains("ended the answer early"))
    }

    @Test("A failing model's server ends the stream with an error event")
    func upstreamFailure() async throws {
        let upstream = try await FakeModelServer(pieces: [], status: .internalServerError)
        let server = try await TestServer(generator: upstream.generator(model: "broken"))
        let events = try await server.ask(Self.question).all()
        let last = try #require(events.last)
        #expect(last.event == "error")
        #expect(last.data["code"] as? String == "generation_failed")
        let message = last.data["message"] as? String ?? ""
        #expect(message.contains("500"))
        #expect(!message.contains("127.0.0.1") && !message.contains("overloaded"), "no upstream detail reaches clients")
    }
}

/// A minimal OpenAI-compatible server: `POST /v1/chat/completions` streams `pieces` as
/// chunks, records the requests, and notices when the client goes away mid-stream.
final class FakeModelServer: Sendable {
    /// What the server saw, shared with its handler.
    final class Record: Sendable {
        let requests = Mutex<[JSONValue]>([])
        let written = Atomic<Int>(0)
        let closedByClient = Atomic<Bool>(false)
    }

    let pieces: [String]
    let record = Record()
    let port: Int
    private let task: Task<Void, any Error>

    var requests: [JSONValue] { record.requests.withLock { $0 } }
    var written: Int { record.written.load(ordering: .relaxed) }
    var closedByClient: Bool { record.closedByClient.load(ordering: .relaxed) }

    /// How the fake answers: SSE with a line ending, SSE cut before `[DONE]`, or one JSON
    /// chat.completion (a server that ignores `stream: true`).
    enum Style: Sendable {
        case events(lineEnding: String)
        case cut
        case json
    }

    init(
        pieces: [String], delay: Duration = .milliseconds(5), status: HTTPResponse.Status = .ok,
        style: Style = .events(lineEnding: "\n"), finishReason: String = "stop"
    ) async throws {
        self.pieces = pieces
        let record = self.record
        let router = Router()
        router.post("/v1/chat/completions") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            record.requests.withLock { $0.append(JSONValue.parse(body.readableBytesView) ?? .null) }
            guard status == .ok else {
                return Response(status: status, body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"message":"overloaded"}}"#)))
            }
            if case .json = style {
                let completion = JSONValue.object([
                    "object": .string("chat.completion"),
                    "choices": .array([.object(["index": .number(0), "message": .object(["content": .string(pieces.joined())])])]),
                ])
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: try JSONCoding.string(completion))))
            }
            let end = if case .events(let lineEnding) = style { lineEnding } else { "\n" }
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream"],
                body: ResponseBody { writer in
                    do {
                        try await writer.write(ByteBuffer(string: ": keep-alive\(end)\(end)"))
                        for piece in pieces {
                            let chunk = JSONValue.object([
                                "object": .string("chat.completion.chunk"),
                                "choices": .array([.object(["index": .number(0), "delta": .object(["content": .string(piece)])])]),
                            ])
                            try await writer.write(ByteBuffer(string: "data: \(try JSONCoding.string(chunk))\(end)\(end)"))
                            record.written.add(1, ordering: .relaxed)
                            try await Task.sleep(for: delay)
                        }
                        if case .cut = style { throw CancellationError() }  // the connection is dropped
                        let last = JSONValue.object([
                            "object": .string("chat.completion.chunk"),
                            "choices": .array([
                                .object(["index": .number(0), "delta": .object([:]), "finish_reason": .string(finishReason)])
                            ]),
                        ])
                        try await writer.write(ByteBuffer(string: "data: \(try JSONCoding.string(last))\(end)\(end)"))
                        try await writer.write(ByteBuffer(string: "data: [DONE]\(end)\(end)"))
                        try await writer.finish(nil)
                    } catch {
                        record.closedByClient.store(true, ordering: .relaxed)
                        throw error
                    }
                })
        }
        var logger = Logger(label: "fake-model")
        logger.logLevel = .critical
        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            }, logger: logger)
        task = Task { try await app.runService() }
        var bound = 0
        for await port in portStream { bound = port }
        port = bound
    }

    func generator(model: String) -> OpenAIGenerator {
        OpenAIGenerator(baseURL: "http://127.0.0.1:\(port)/v1", model: model)
    }

    deinit { task.cancel() }
}
