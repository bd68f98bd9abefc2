import Hummingbird
import NIOCore
import RAGCore

/// `GET /v1/export`: the whole index as NDJSON, one document per line in the
/// `POST /v1/documents` shape. Streamed under the same rules as SSE: written from the
/// connection's event loop (exact backpressure), one document in memory at a time, and
/// dropped if a write waits past the send timeout.
struct ExportRoute {
    let state: ServiceState

    func register(on router: Router<RAGRequestContext>) {
        router.route("/v1/export", [.get: export])
    }

    @Sendable func export(_ request: Request, context: RAGRequestContext) async throws -> Response {
        guard let slot = state.registry.reserve() else { throw APIError.overloaded(retryAfter: 1) }
        let state = self.state
        let channel = context.channel
        return Response(
            status: .ok, headers: [.contentType: "application/x-ndjson"],
            body: ResponseBody { writer in
                _ = slot
                let executor = state.executors.executor(for: channel.eventLoop)
                try await withTaskExecutorPreference(executor) {
                    try await Self.stream(state: state, channel: channel, writer: &writer)
                }
            })
    }

    private static func stream(state: ServiceState, channel: any Channel, writer: inout any ResponseBodyWriter) async throws {
        try await channel.setOption(.socketOption(.so_sndbuf), value: StreamRegistry.socketSendBuffer)
        let signal = StreamSignal()
        let entry = state.registry.register(signal: signal, channel: channel)
        defer { state.registry.unregister(entry) }
        let reader = state.index.reader
        var cursor: String?
        var buffer = channel.allocator.buffer(capacity: 64 * 1024)
        while true {
            let ids = try await reader.documentIDs(after: cursor, limit: 64)
            guard let last = ids.last else { break }
            cursor = last
            for id in ids {
                guard let doc = try await reader.exportedDocument(id: id) else { continue }
                buffer.writeBytes(try JSONCoding.data(doc))
                buffer.writeString("\n")
                // Flush in chunks of about 64 KiB; never hold more than one document beyond that.
                if buffer.readableBytes >= 64 * 1024 {
                    entry.beginWrite()
                    try await writer.write(buffer)
                    entry.endWrite()
                    buffer = channel.allocator.buffer(capacity: 64 * 1024)
                    await Task.yield()
                }
            }
        }
        if buffer.readableBytes > 0 {
            entry.beginWrite()
            try await writer.write(buffer)
            entry.endWrite()
        }
        try await writer.finish(nil)
    }
}
