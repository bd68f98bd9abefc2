import HTTPTypes
import Hummingbird
import NIOCore
import RAGCore

/// Writes a job's events to one client as Server-Sent Events.
///
/// Backpressure end to end: the loop runs on the connection's event loop, so each write
/// waits for the socket; events are read from the job's log (which is bounded) only as
/// fast as they are written, so nothing between generator and socket grows. A write that
/// waits longer than the send timeout gets the connection closed (by the registry's
/// ticker); the heartbeat goes through the same path. A client that leaves is noticed
/// at once through the channel's close future, even while the job is idle or paused.
struct SSEWriter: Sendable {
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
    let executors: EventLoopExecutors
    let channel: any Channel
    /// Called once the first bytes are written (an ask's retrieval starts then).
    var onFirstWrite: (@Sendable () -> Void)?
    /// How the events go on the wire.
    var framing: EventFraming = .events

    func response() -> Response {
        Response(status: .ok, headers: Self.headers, body: ResponseBody { writer in try await run(&writer) })
    }

    func run(_ writer: inout any ResponseBodyWriter) async throws {
        let executor = executors.executor(for: channel.eventLoop)
        try await withTaskExecutorPreference(executor) {
            try await stream(&writer)
        }
    }

    private func stream(_ writer: inout any ResponseBodyWriter) async throws {
        _ = slot
        let signal = StreamSignal()
        let entry = registry.register(signal: signal, channel: channel)
        job.attach(signal)
        defer {
            job.detach(signal)
            registry.unregister(entry)
        }
        channel.closeFuture.whenComplete { [weak signal] _ in signal?.fire(.closed) }

        let allocator = channel.allocator
        var seq = after
        var buffer = allocator.buffer(capacity: 1024)
        switch framing {
        case .events: buffer.writeString("retry: \(Self.retryMilliseconds)\n\n")
        case .chatCompletion(let chunks): chunks.writeFirst(into: &buffer)
        }
        var first = true
        var writes = 0
        while true {
            let (last, finished) = job.read(after: seq, maxEvents: 256) { n, kind, payload in
                switch framing {
                case .events:
                    buffer.writeString("id: \(job.id):\(n)\nevent: \(kind.name)\ndata: ")
                    buffer.writeBytes(payload)
                    buffer.writeString("\n\n")
                case .chatCompletion(let chunks):
                    chunks.write(kind, payload, into: &buffer)
                }
            }
            seq = last
            if buffer.readableBytes > 0 {
                try await write(buffer, to: &writer, entry: entry)
                buffer = allocator.buffer(capacity: 512)
                if first {
                    first = false
                    onFirstWrite?()
                }
                writes += 1
                // Let the event loop read and flush other channels between bursts.
                if writes % 4 == 0 { await Task.yield() }
                continue
            }
            if finished { break }
            switch await signal.wait() {
            case .events, .shutdown:
                continue
            case .heartbeat:
                var ping = allocator.buffer(capacity: 8)
                ping.writeString(": ping\n\n")
                try await write(ping, to: &writer, entry: entry)
            case .closed:
                return
            }
        }
        try await writer.finish(nil)
    }

    private func write(_ buffer: ByteBuffer, to writer: inout any ResponseBodyWriter, entry: StreamRegistry.Entry) async throws {
        entry.beginWrite()
        defer { entry.endWrite() }
        try await writer.write(buffer)
    }
}

/// How a job's events go on the wire.
enum EventFraming: Sendable {
    /// rag's own events: `id: <job>:<n>`, `event: <kind>`, `data: <payload>`; resumable.
    case events
    /// OpenAI's `chat.completion.chunk`s, ending with `data: [DONE]`.
    case chatCompletion(ChatCompletionChunks)
}
