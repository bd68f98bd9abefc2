import NIOCore
import NIOHTTP1

/// Refuses a WebSocket upgrade to `/v1/ws` with 503 and `Retry-After` while
/// `--max-streams` streams are open, as an SSE ask is refused.
///
/// hummingbird-websocket answers the upgrade before any of our code runs, and a refusal
/// from its `shouldUpgrade` becomes a bare 400. So the check sits in the pipeline right
/// after the HTTP decoder and sees the connection's first request head, the only one
/// that can upgrade; ``RequestLineGuard`` puts it there when that request's line targets
/// `/v1/ws`. It only looks at the count: two upgrades racing for the last slot
/// can both pass, and the loser then gets an `overloaded` error frame from ``AskSocket``.
final class WebSocketAdmission: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let isFull: @Sendable () -> Bool
    private var refused = false

    init(isFull: @escaping @Sendable () -> Bool) {
        self.isFull = isFull
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if refused { return }  // the rest of a refused request
        guard case .head(let head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        if Self.isUpgrade(head), isFull() {
            refused = true
            answerAndClose(context: context, with: .overloaded(retryAfter: 1))
            return
        }
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    static func isUpgrade(_ head: HTTPRequestHead) -> Bool {
        targetsSocket(head.uri.utf8) && head.headers["upgrade"].contains { $0.lowercased() == "websocket" }
    }

    /// Whether a request target routes to `/v1/ws`: the router ignores empty path segments,
    /// so `//v1/ws/` does too.
    static func targetsSocket(_ target: some Collection<UInt8>) -> Bool {
        let path = target.prefix { $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }
        let segments = path.split(separator: UInt8(ascii: "/"))
        return segments.count == 2 && segments[0].elementsEqual("v1".utf8) && segments[1].elementsEqual("ws".utf8)
    }
}
