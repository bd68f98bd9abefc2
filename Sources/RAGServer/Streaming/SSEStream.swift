import HTTPTypes
import Hummingbird
import NIOCore
import RAGCore

/// Opens a Server-Sent Events stream of a job's events for one client.
///
/// The response head goes out through Hummingbird; the events then go out on a channel
/// of the stream's own (``ConnectionHandoff``), written by ``EventStreamHandler``. Since
/// that connection cannot return to Hummingbird for another request, the head says
/// `Connection: close`.
struct SSEStream: Sendable {
    static let headers: HTTPFields = [
        .contentType: "text/event-stream; charset=utf-8",
        .cacheControl: "no-cache",
        HTTPField.Name("X-Accel-Buffering")!: "no",
    ]

    /// How long a client waits before reconnecting, sent as `retry:`.
    static let retryMilliseconds = 3000

    let job: Job
    /// The last event the client has (0 for a new stream).
    let after: Int
    let registry: StreamRegistry
    let slot: StreamRegistry.Slot
    /// Hummingbird's channel for the request.
    let channel: any Channel
    /// Called once the first bytes are written (an ask's retrieval starts then).
    var onFirstWrite: (@Sendable () -> Void)?
    /// How the events go on the wire.
    var framing: EventFraming = .events

    func response() -> Response {
        var headers = Self.headers
        headers[.connection] = "close"
        return Response(status: .ok, headers: headers, body: ResponseBody { _ in try await handOff() })
    }

    /// Called by Hummingbird once it has written the head; returns as soon as the stream
    /// runs on its own channel, which ends Hummingbird's work on this connection.
    private func handOff() async throws {
        let stream = self
        try await ConnectionHandoff.handOff(channel) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(EventStreamHandler(stream))
            }
        }
    }
}

/// How a job's events go on the wire.
enum EventFraming: Sendable {
    /// rag's own events: `id: <job>:<n>`, `event: <kind>`, `data: <payload>`; resumable.
    case events
    /// OpenAI's `chat.completion.chunk`s, ending with `data: [DONE]`.
    case chatCompletion(ChatCompletionChunks)
}
