import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of rag's routes: Hummingbird's core storage, the connection's
/// channel (an SSE stream takes its socket over; the export writes on its event loop) and
/// the WebSocket slot.
public struct RAGRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<RAGRequestContext>
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }

    /// The body size limit is enforced by the routes themselves (`--max-body`).
    public var maxUploadSize: Int { .max }
}
