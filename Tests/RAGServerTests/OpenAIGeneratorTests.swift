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

    @Test("A failing model's server ends the stream with an error event")
    func upstreamFailure() async throws {
        let upstream = try await FakeModelServer(pieces: [], status: .internalServerError)
        let server = try await TestServer(generator: upstream.generator(model: "broken"))
        let events = try await server.ask(Self.question).all()
        let last = try #require(events.last)
        #expect(last.event == "error")
        #expect(last.data["code"] as? String == "generation_failed")
        #expect((last.data["message"] as? String ?? "").contains("500"))
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

    init(pieces: [String], delay: Duration = .milliseconds(5), status: HTTPResponse.Status = .ok) async throws {
        self.pieces = pieces
        let record = self.record
        let router = Router()
        router.post("/v1/chat/completions") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            record.requests.withLock { $0.append(JSONValue.parse(body.readableBytesView) ?? .null) }
            guard status == .ok else {
                return Response(status: status, body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"message":"overloaded"}}"#)))
            }
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream"],
                body: ResponseBody { writer in
                    do {
                        for piece in pieces {
                            let chunk = JSONValue.object([
                                "object": .string("chat.completion.chunk"),
                                "choices": .array([.object(["index": .number(0), "delta": .object(["content": .string(piece)])])]),
                            ])
                            try await writer.write(ByteBuffer(string: "data: \(try JSONCoding.string(chunk))\n\n"))
                            record.written.add(1, ordering: .relaxed)
                            try await Task.sleep(for: delay)
                        }
                        try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
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
