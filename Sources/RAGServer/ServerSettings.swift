/// Everything `rag serve` can be told, with the contract's defaults.
public struct ServerSettings: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var maxBody = 10 << 20
    public var maxQuestion = 2000
    public var maxStreams = 10_000
    public var sendTimeout: Duration = .seconds(30)
    public var resumeGrace: Duration = .seconds(10)
    public var jobTTL: Duration = .seconds(300)
    /// Most memory finished jobs' event logs may hold; beyond it the oldest are forgotten
    /// before their TTL.
    public var jobMemory = 32 << 20
    public var tokenDelay: Duration = .zero
    /// Silence after which an open stream gets a `: ping` comment.
    public var heartbeat: Duration = .seconds(15)
    /// How often streams and jobs are swept (heartbeats, send timeouts, grace, TTL).
    public var tickInterval: Duration = .seconds(1)

    public init() {}
}
