import Foundation
import Logging
import RAGCore
import RAGServer
import ServiceLifecycle
import Synchronization
import Testing

/// The real server on a loopback port, over a temporary index with a few documents.
final class TestServer: @unchecked Sendable {
    let folder: URL
    let index: SearchIndex
    let service: RAGService
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    /// Documents every server starts with: invented facts, English and Chinese.
    static let documents: [DocumentInput] = [
        DocumentInput(
            id: "en/lighthouse.txt", format: .text,
            text: """
                The Verrin Lighthouse

                The Verrin lighthouse on Skellmoor island was painted teal in 1931 by its keeper, Odile Marsh. \
                Its lamp burns kelp oil and can be seen forty kilometres out to sea. The keeper's log records every storm since 1931.
                """),
        DocumentInput(
            id: "en/cheese.md", format: .markdown,
            text: """
                # Quorvath cheese

                Quorvath cheese is aged inside copper bells for nine weeks. It is made only in the village of Tamsby, \
                from the milk of grey goats. The rind turns blue in the third week.
                """),
        DocumentInput(
            id: "en/backpressure.html", format: .html,
            text: """
                <html><head><title>Backpressure</title></head><body><h1>Backpressure</h1>
                <p>Backpressure is the mechanism by which a slow consumer makes a fast producer slow down. \
                Without it, buffers grow until memory runs out.</p><h2>Bounded queues</h2>
                <p>A bounded queue makes the producer wait when it is full. Streaming servers should wait for the \
                socket before writing more.</p></body></html>
                """),
        DocumentInput(
            id: "zh/tea.txt", format: .text,
            text: "青岚茶\n\n青岚茶产自雾松山，每年只在霜降之后采摘一次。冲泡青岚茶必须使用七十度的山泉水。"),
        DocumentInput(
            id: "zh/bridge.html", format: .html,
            text: "<html><head><title>银杏桥</title></head><body><h1>银杏桥</h1><p>银杏桥位于璃川镇，全长三百米，由木匠柳行舟在一八八二年设计。</p></body></html>"),
    ]

    init(
        configure: (inout ServerSettings) -> Void = { _ in },
        retriever: (@Sendable (Retriever) -> any Retrieving)? = nil,
        generator: (any Generator)? = nil,
        documents: [DocumentInput] = TestServer.documents
    ) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rag-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        index = try SearchIndex(path: folder.appendingPathComponent("index.sqlite").path)
        let parser = DocumentParser()
        _ = try await index.writer.writeAll(try documents.map { try parser.parse($0) })

        var settings = ServerSettings()
        settings.port = 0
        configure(&settings)
        var logger = Logger(label: "rag-test")
        // Servers are torn down by cancellation when a test ends, which Hummingbird logs as errors.
        logger.logLevel = .critical
        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        service = RAGService(settings: settings, index: index, generator: generator, retriever: retriever, logger: logger) { port in
            portContinuation.yield(port)
            portContinuation.finish()
        }
        group = ServiceGroup(configuration: .init(services: service.services, logger: logger))
        let group = self.group
        task = Task {
            defer { portContinuation.finish() }
            do {
                try await group.run()
            } catch {
                Issue.record("the test server stopped: \(error)")
                throw error
            }
        }
        var bound = 0
        for await port in portStream { bound = port }
        guard bound > 0 else { throw RawError.closed }
        port = bound
    }

    /// Triggers a graceful shutdown (as SIGTERM does) and waits for the server to stop.
    func shutDown() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }

    deinit {
        task.cancel()
        try? FileManager.default.removeItem(at: folder)
    }

    func request(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = [], json: Any? = nil)
        async throws -> HTTPResult
    {
        try await http(port, method, path, headers: headers, body: body, json: json)
    }

    func ask(_ question: String, k: Int? = nil, headers: [(String, String)] = []) async throws -> SSEStream {
        var path = "/v1/ask?q=\(encoded(question))"
        if let k { path += "&k=\(k)" }
        return try await SSEStream(port: port, path: path, headers: headers)
    }

    /// Polls `condition` until it holds or `timeout` passes.
    func eventually(timeout: Double = 10, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }
}

/// Opened by a test to let retrieval go on; until then every retrieval waits.
final class RetrievalGate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let openNow = state.withLock { state -> Bool in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if openNow { continuation.resume() }
        }
    }
}

/// The built-in retriever behind a ``RetrievalGate``.
struct GatedRetriever: Retrieving {
    let inner: Retriever
    let gate: RetrievalGate

    func retrieve(_ question: String, limit: Int) async throws -> (passages: [RetrievedPassage], terms: Retriever.WeightedTerms) {
        await gate.wait()
        return try await inner.retrieve(question, limit: limit)
    }
}
