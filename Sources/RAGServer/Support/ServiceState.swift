import Logging
import NIOCore
import RAGCore
import Synchronization

/// What the routes share: the index, the jobs, the ask pipeline, the open streams.
public final class ServiceState: Sendable {
    public let settings: ServerSettings
    public let index: SearchIndex
    public let jobs: JobStore
    public let pipeline: AskPipeline
    public let parser: DocumentParser
    let registry: StreamRegistry
    let metrics: ServerMetrics
    let executors: EventLoopExecutors
    let body: BodyReader
    let logger: Logger
    private let shuttingDownFlag = Atomic<Bool>(false)

    init(
        settings: ServerSettings, index: SearchIndex, pipeline: AskPipeline, metrics: ServerMetrics,
        eventLoopGroup: any EventLoopGroup, logger: Logger
    ) {
        self.settings = settings
        self.index = index
        self.pipeline = pipeline
        self.metrics = metrics
        self.logger = logger
        self.parser = DocumentParser(maxBytes: settings.maxBody)
        self.jobs = JobStore(
            settings: .init(resumeGrace: settings.resumeGrace, ttl: settings.jobTTL, maxRetainedBytes: settings.jobMemory))
        self.registry = StreamRegistry(
            maxStreams: settings.maxStreams, heartbeat: settings.heartbeat, sendTimeout: settings.sendTimeout)
        self.executors = EventLoopExecutors(group: eventLoopGroup)
        self.body = BodyReader(maxBytes: settings.maxBody)
    }

    var isShuttingDown: Bool { shuttingDownFlag.load(ordering: .relaxed) }

    /// Refuses new work, ends every live job with `shutting_down` and lets the streams
    /// write that last event and close.
    func beginShutdown() async {
        shuttingDownFlag.store(true, ordering: .relaxed)
        jobs.failAll(code: "shutting_down", message: "The server is shutting down.")
        await registry.shutDown(deadline: .seconds(3))
    }

    /// One sweep: heartbeats, send timeouts, the resume grace, job TTLs, gauges.
    func tick() {
        registry.tick()
        jobs.sweep()
        metrics.activeStreams.set(Double(registry.count))
        metrics.jobs(jobs.countsByStatus())
    }
}
