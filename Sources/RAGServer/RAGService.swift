import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOPosix
import RAGCore
import ServiceLifecycle

/// rag's HTTP service: the Hummingbird application and the sweeper that keeps streams
/// and jobs honest. Run both in one `ServiceGroup` with ``services``.
public struct RAGService: Sendable {
    public let state: ServiceState
    private let eventLoopGroup: MultiThreadedEventLoopGroup
    private let logger: Logger
    private let onServerRunning: (@Sendable (Int) async -> Void)?

    /// - Parameters:
    ///   - generator: the answer generator (the built-in extractive one by default).
    ///   - retriever: wraps the built-in retriever (to add another source, or in tests).
    ///   - onServerRunning: called with the bound port once the server listens.
    public init(
        settings: ServerSettings, index: SearchIndex, generator: (any Generator)? = nil,
        retriever: (@Sendable (Retriever) -> any Retrieving)? = nil, logger: Logger,
        onServerRunning: (@Sendable (Int) async -> Void)? = nil
    ) {
        let tokenizer = TextTokenizer()
        let metrics = ServerMetrics()
        let builtIn = Retriever(index: index, tokenizer: tokenizer)
        let pipeline = AskPipeline(
            retriever: retriever?(builtIn) ?? builtIn,
            generator: generator ?? ExtractiveGenerator(tokenizer: tokenizer, pieceDelay: settings.tokenDelay),
            observer: metrics)
        eventLoopGroup = MultiThreadedEventLoopGroup.singleton
        state = ServiceState(
            settings: settings, index: index, pipeline: pipeline, metrics: metrics, eventLoopGroup: eventLoopGroup,
            logger: logger)
        self.logger = logger
        self.onServerRunning = onServerRunning
    }

    /// The services to run together: on graceful shutdown the sweeper goes first (it ends
    /// the open streams with `shutting_down`), then the HTTP server stops listening and
    /// finishes the requests in flight.
    public var services: [any Service] {
        [makeApplication(), Sweeper(state: state)]
    }

    func makeApplication() -> some ApplicationProtocol {
        let router = Router(context: RAGRequestContext.self)
        router.middlewares.add(RequestLogMiddleware(state: state))
        router.middlewares.add(ErrorMiddleware())
        DocumentRoutes(state: state).register(on: router)
        SearchRoutes(state: state).register(on: router)
        AskRoutes(state: state).register(on: router)
        JobRoutes(state: state).register(on: router)
        ExportRoute(state: state).register(on: router)
        OperationRoutes(state: state).register(on: router)
        ExtractRoutes(state: state).register(on: router)
        ChatCompletionRoutes(state: state).register(on: router)

        let webSocketRouter = Router(context: RAGRequestContext.self)
        let socket = AskSocket(state: state)
        webSocketRouter.ws("/v1/ws") { inbound, outbound, context in
            try await socket.handle(inbound: inbound, outbound: outbound, logger: context.logger)
        }
        let onServerRunning = self.onServerRunning
        let webSocketResponder = webSocketRouter.buildResponder()
        let executors = state.executors
        let server = HTTPServerBuilder { responder in
            GuardedChildChannel(
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder,
                    configuration: .init(http1: .init(), ws: .init(maxFrameSize: 1 << 20))),
                executors: executors,
                streamsFull: { [registry = state.registry] in registry.isFull })
        }
        return Application(
            router: ChildTaskResponderBuilder(inner: router),
            server: server,
            configuration: .init(
                address: .hostname(state.settings.host, port: state.settings.port), serverName: "rag"),
            onServerRunning: { channel in await onServerRunning?(channel.localAddress?.port ?? 0) },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
    }
}

/// Once a second: heartbeats, send timeouts, the resume grace and job TTLs. On graceful
/// shutdown it ends every live job and open stream before the server stops.
struct Sweeper: Service {
    let state: ServiceState

    func run() async throws {
        let state = self.state
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: state.settings.tickInterval)
                state.tick()
            }
        }
        await state.beginShutdown()
    }
}
