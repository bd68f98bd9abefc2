#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix

/// Moves a long stream off Hummingbird's connection onto a lean channel of its own.
///
/// Hummingbird serves each connection from a Swift task that lives as long as the
/// connection. That task and its channel pipeline cost about 20 KB however idle they are
/// (a task keeps the slabs of its deepest call chain), which is most of what a thousand
/// slow SSE readers cost. An SSE stream needs neither once its response head is out. So
/// the stream flushes what Hummingbird wrote, takes a duplicate of the socket's
/// descriptor for a channel whose only handler is its writer (``EventStreamHandler``),
/// and closes Hummingbird's channel: the client keeps its one TCP connection, while
/// Hummingbird's task and pipeline end. Closing one descriptor of a socket that has two
/// sends nothing on the wire.
///
/// The stream adds this handler last on the connection's outbound path, next to the
/// socket, only when it hands off: other connections do without it. After the handoff
/// it drops whatever Hummingbird still writes, and refuses a half-close, which would shut
/// down the socket the stream now writes to.
final class ConnectionHandoff: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    enum Failure: Error {
        /// The channel does not expose a socket (not a NIOPosix socket channel).
        case noSocket
    }

    private var context: ChannelHandlerContext?
    private var handedOff = false

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !handedOff else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(data, promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        if !handedOff { context.flush() }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if handedOff && mode != .all {
            promise?.fail(ChannelError.operationUnsupported)
            return
        }
        context.close(mode: mode, promise: promise)
    }

    /// Waits until the socket has taken everything written so far, then returns a
    /// duplicate of its descriptor (the caller owns it) and drops all later writes.
    private func detach(on loop: any EventLoop) -> EventLoopFuture<NIOBSDSocket.Handle> {
        guard let context else { return loop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
        // Write promises complete in order, so this empty write's completes once every
        // byte written before it is in the kernel.
        let flushed = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(ByteBuffer())), promise: flushed)
        return flushed.futureResult.assumeIsolated().flatMapThrowing { () throws -> NIOBSDSocket.Handle in
            let duplicate = try context.pipeline.syncOperations.withUnsafeTransportIfAvailable(
                of: NIOBSDSocket.Handle.self
            ) { dup($0) }
            guard let duplicate else { throw Failure.noSocket }
            guard duplicate >= 0 else { throw IOError(errnoCode: errno, reason: "dup") }
            self.handedOff = true
            return duplicate
        }.nonisolated()
    }

    /// Hands `channel`'s socket over to a new channel set up by `initializer`, on the
    /// same event loop, and closes `channel`.
    static func handOff(
        _ channel: any Channel,
        initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) async throws {
        let loop = channel.eventLoop
        let descriptor = try await loop.flatSubmit { () -> EventLoopFuture<NIOBSDSocket.Handle> in
            let handoff = ConnectionHandoff()
            do {
                try channel.pipeline.syncOperations.addHandler(handoff, position: .first)
            } catch {
                return loop.makeFailedFuture(error)
            }
            return handoff.detach(on: loop)
        }.get()
        defer { channel.close(promise: nil) }
        _ = try await ClientBootstrap(group: loop)
            // The stream only reads to notice the client leaving.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 64))
            .channelOption(.socketOption(.so_sndbuf), value: StreamRegistry.socketSendBuffer)
            .channelInitializer(initializer)
            .withConnectedSocket(descriptor)
            .get()
    }
}
