import NIOCore
import RAGCore

/// Writes a job's events to one client: the body of an SSE response, on the channel the
/// stream took over from Hummingbird (``ConnectionHandoff``).
///
/// A channel handler, not a task: a thousand open streams wait as a thousand small
/// objects, without a task's frames each. Backpressure end to end: one write is in
/// flight at a time and the next starts once the socket has taken it, and events are read
/// from the job's log (which is bounded) only as fast as they are written, so nothing
/// between generator and socket grows. A write that waits longer than the send timeout
/// gets the connection closed (by the registry's ticker); the heartbeat goes through the
/// same path. A client that leaves is noticed at once, its end of the connection closing,
/// even while the job is idle or paused.
final class EventStreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Events per write, at most.
    static let maxEventsPerWrite = 256

    private let stream: SSEStream
    private var context: ChannelHandlerContext?
    private var signal: StreamSignal?
    private var entry: StreamRegistry.Entry?
    /// The last event written.
    private var seq: Int
    private var writing = false
    private var started = false
    private var heartbeatDue = false
    private var ended = false

    init(_ stream: SSEStream) {
        self.stream = stream
        self.seq = stream.after
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        let loop = context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: loop)
        let signal = StreamSignal { reason in
            loop.execute { handler.value.signalled(reason) }
        }
        self.signal = signal
        entry = stream.registry.register(signal: signal, channel: context.channel)
        stream.job.attach(signal)
        pump()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    /// The client sends nothing after its request; reading only shows it leaving.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func signalled(_ reason: StreamSignal.Reason) {
        switch reason {
        case .events, .shutdown:
            pump()
        case .heartbeat:
            heartbeatDue = true
            pump()
        case .closed:
            context?.close(promise: nil)
        }
    }

    /// Writes whatever the job has that the client has not, unless a write is in flight
    /// (its completion pumps again).
    private func pump() {
        guard let context, !writing, !ended else { return }
        var body = context.channel.allocator.buffer(capacity: 512)
        if !started {
            switch stream.framing {
            case .events: body.writeString("retry: \(SSEStream.retryMilliseconds)\n\n")
            case .chatCompletion(let chunks): chunks.writeFirst(into: &body)
            }
        }
        let framing = stream.framing
        let job = stream.job
        let (last, finished) = job.read(after: seq, maxEvents: Self.maxEventsPerWrite) { n, kind, payload in
            switch framing {
            case .events:
                body.writeString("id: \(job.id):\(n)\nevent: \(kind.name)\ndata: ")
                body.writeBytes(payload)
                body.writeString("\n\n")
            case .chatCompletion(let chunks):
                chunks.write(kind, payload, into: &body)
            }
        }
        seq = last
        if body.readableBytes == 0 && heartbeatDue && !finished {
            body.writeString(": ping\n\n")
        }
        heartbeatDue = false
        if body.readableBytes > 0 {
            write(body, context: context)
        } else if finished {
            end(context: context)
        }
    }

    private func write(_ body: ByteBuffer, context: ChannelHandlerContext) {
        writing = true
        entry?.beginWrite()
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { result in
            self.writing = false
            self.entry?.endWrite()
            guard case .success = result else {
                context.close(promise: nil)
                return
            }
            if !self.started {
                self.started = true
                self.stream.onFirstWrite?()
            }
            // From the loop's queue rather than from here: other channels get their turn
            // between two writes of a fast stream, and the stack stays flat.
            context.eventLoop.assumeIsolated().execute { self.pump() }
        }
        context.writeAndFlush(wrapOutboundOut(Self.chunk(body, allocator: context.channel.allocator)), promise: written)
    }

    /// The last chunk, then the connection closes (its head said so).
    private func end(context: ChannelHandlerContext) {
        ended = true
        var last = context.channel.allocator.buffer(capacity: 5)
        last.writeStaticString("0\r\n\r\n")
        context.writeAndFlush(wrapOutboundOut(last)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// Leaves the job and the registry. (The stream's slot goes back with this handler.)
    private func stop() {
        ended = true
        if let signal {
            stream.job.detach(signal)
            self.signal = nil
        }
        if let entry {
            stream.registry.unregister(entry)
            self.entry = nil
        }
    }

    /// `body` as one chunk of the response's chunked transfer coding (the head went out
    /// through Hummingbird's HTTP encoder, which chose it, having no length to give).
    static func chunk(_ body: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var chunk = allocator.buffer(capacity: body.readableBytes + 12)
        chunk.writeString(String(body.readableBytes, radix: 16))
        chunk.writeStaticString("\r\n")
        chunk.writeImmutableBuffer(body)
        chunk.writeStaticString("\r\n")
        return chunk
    }
}
