import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// A child channel that answers every connection, whatever bytes arrive.
///
/// Hand-written clients (curl among them) send `?q=全文` unencoded. NIO's HTTP parser
/// rejects such a request line, and with the WebSocket upgrade pipeline the error left
/// the connection open and unanswered. Here the first request line of a connection is
/// checked before any parser sees it: raw non-ASCII bytes in the target are
/// percent-encoded (so the request is answered, decoded), control bytes get a 400; and
/// whatever happens, the connection is closed when its handler ends.
///
/// Each connection's handler runs on the connection's own event loop (a task executor
/// preference). Hummingbird otherwise runs it on the global executor, and every request
/// then crossed threads twice: the loop read the bytes and woke a pool thread for the
/// handler, which queued its writes back onto the loop. Those two wake-ups were most of
/// an ask's time to first byte. Work that is heavy on CPU moves off the loop on its own
/// (``offEventLoop(_:)``), and reads of the index already run on GRDB's threads.
struct GuardedChildChannel<Inner: ServerChildChannel>: ServerChildChannel {
    let inner: Inner
    let executors: EventLoopExecutors
    /// Whether `--max-streams` are open (for ``WebSocketAdmission``).
    let streamsFull: @Sendable () -> Bool

    /// A connection with neither a read nor a write for this long is closed. Open streams
    /// write at least a heartbeat every 15 seconds, so only stuck connections reach it.
    static var idleTimeout: TimeAmount { .seconds(60) }

    /// Reads start with 512-byte buffers (NIO's default is 2 KiB) and grow with need: a
    /// channel keeps its last read buffer, and most connections send one small request
    /// and then hold an open stream.
    static var receiveBuffers: AdaptiveRecvByteBufferAllocator {
        AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536)
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Inner.Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            try channel.syncOptions?.setOption(.recvAllocator, value: Self.receiveBuffers)
            try channel.pipeline.syncOperations.addHandler(RequestLineGuard(streamsFull: streamsFull), position: .first)
            try channel.pipeline.syncOperations.addHandler(FirstRequestErrorHandler())
            try channel.pipeline.syncOperations.addHandler(ConnectionWatch(), position: .first)
            try channel.pipeline.syncOperations.addHandler(
                IdleStateHandler(allTimeout: Self.idleTimeout), position: .first)
            return value
        }
    }

    func handle(value: Inner.Value, logger: Logger) async {
        await withTaskExecutorPreference(executors.executor(for: value.channel.eventLoop)) {
            await inner.handle(value: value, logger: logger)
        }
        try? await value.channel.close()
    }
}

/// Checks and repairs the request line of a connection's first request (raw bytes).
final class RequestLineGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Longer request lines are refused (414-worthy, answered as 400).
    static let maxLineLength = 16 * 1024

    private var pending: ByteBuffer?
    private let streamsFull: @Sendable () -> Bool

    init(streamsFull: @escaping @Sendable () -> Bool) {
        self.streamsFull = streamsFull
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if var buffered = pending {
            buffered.writeBuffer(&incoming)
            incoming = buffered
        }
        let view = incoming.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if incoming.readableBytes > Self.maxLineLength {
                reject(context: context, message: "The request line is too long.")
            } else {
                pending = incoming
            }
            return
        }
        pending = nil
        let lineEnd = newline - view.startIndex
        let line = Array(view[view.startIndex..<(view.startIndex + lineEnd)])
        let body = line.last == 0x0D ? line.dropLast() : line[...]
        if body.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            reject(context: context, message: "The request line contains control characters.")
            return
        }
        if !Self.isWellFormed(body) {
            reject(context: context, message: "The request line is not `METHOD target HTTP/1.x`.")
            return
        }
        var forward = incoming
        if body.contains(where: { $0 >= 0x80 }) {
            var rewritten = context.channel.allocator.buffer(capacity: incoming.readableBytes + 64)
            for byte in body {
                if byte >= 0x80 {
                    rewritten.writeString(String(format: "%%%02X", byte))
                } else {
                    rewritten.writeInteger(byte)
                }
            }
            forward.moveReaderIndex(forwardBy: body.count)
            rewritten.writeBuffer(&forward)
            forward = rewritten
        }
        // Only a request for /v1/ws can be refused as a stream before Hummingbird sees it;
        // other connections do without the extra handler (it cost 50 µs of first byte).
        if Self.targetsWebSocket(body),
            let decoder = try? context.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
        {
            try? context.pipeline.syncOperations.addHandler(WebSocketAdmission(isFull: streamsFull), position: .after(decoder))
        }
        context.fireChannelRead(wrapInboundOut(forward))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Whether a well-formed request line targets `/v1/ws`.
    private static func targetsWebSocket(_ line: ArraySlice<UInt8>) -> Bool {
        guard let space = line.firstIndex(of: 0x20) else { return false }
        let target = line[(space + 1)...].prefix { $0 != 0x20 }
        return WebSocketAdmission.targetsSocket(target)
    }

    /// `METHOD SP target SP HTTP/1.x`, the only shape the HTTP/1 parser accepts.
    private static func isWellFormed(_ line: ArraySlice<UInt8>) -> Bool {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
            parts[0].allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || $0 == 0x2D || $0 == 0x5F })
        else { return false }
        let version = Array(parts[2])
        return version == Array("HTTP/1.1".utf8) || version == Array("HTTP/1.0".utf8)
    }

    private func reject(context: ChannelHandlerContext, message: String) {
        pending = nil
        let body = APIError.badRequest(message).body
        var response = context.channel.allocator.buffer(capacity: 256)
        response.writeString(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n")
        response.writeBytes(body)
        let channel = context.channel
        context.writeAndFlush(NIOAny(response)).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// Closes the connection when `IdleStateHandler` reports it idle, and tells a waiting
/// request when the client has closed its side.
///
/// Hummingbird allows half-closed connections and does not cancel a handler whose client
/// has gone, so a JSON ask would otherwise generate to the end (with a language model,
/// paying for every token) for a client that already left. A client that leaves closes its
/// side (FIN); here that becomes a callback the waiting request registers.
final class ConnectionWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private var inputClosed = false
    private var onInputClosed: (@Sendable () -> Void)?

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        if let event = event as? ChannelEvent, event == .inputClosed { clientLeft() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        clientLeft()
        context.fireChannelInactive()
    }

    private func clientLeft() {
        inputClosed = true
        let callback = onInputClosed
        onInputClosed = nil
        callback?()
    }

    /// Calls `action` (on the event loop) once the client closes its side, at once if it
    /// already has, until ``stopWatching(_:)``. One request at a time per connection.
    static func watch(_ channel: any Channel, _ action: @escaping @Sendable () -> Void) async {
        try? await channel.eventLoop.submit {
            guard let watch = try? channel.pipeline.syncOperations.handler(type: ConnectionWatch.self) else { return }
            if watch.inputClosed { action() } else { watch.onInputClosed = action }
        }.get()
    }

    static func stopWatching(_ channel: any Channel) {
        channel.eventLoop.execute {
            (try? channel.pipeline.syncOperations.handler(type: ConnectionWatch.self))?.onInputClosed = nil
        }
    }
}

/// Answers a parse error in a connection's first request, which the WebSocket upgrade
/// handler would otherwise leave unanswered and open. Later requests are Hummingbird's.
final class FirstRequestErrorHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    private var sawRequest = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        sawRequest = true
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !sawRequest, error is HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        sawRequest = true
        answerAndClose(context: context, with: .badRequest("The request could not be parsed as HTTP/1.1."))
    }
}

/// Writes `error` as the connection's response and closes it: for handlers that sit
/// before Hummingbird in the pipeline and must answer on their own.
func answerAndClose(context: ChannelHandlerContext, with error: APIError) {
    let body = error.body
    var headers = HTTPHeaders()
    for field in error.headers { headers.add(name: field.name.rawName, value: field.value) }
    headers.add(name: "Content-Type", value: "application/json")
    headers.add(name: "Content-Length", value: "\(body.count)")
    headers.add(name: "Connection", value: "close")
    var buffer = context.channel.allocator.buffer(capacity: body.count)
    buffer.writeBytes(body)
    let status = HTTPResponseStatus(statusCode: Int(error.status.code))
    context.write(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
    context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
    let channel = context.channel
    context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in channel.close(promise: nil) }
}
