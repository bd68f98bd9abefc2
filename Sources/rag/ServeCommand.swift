import ArgumentParser
import Foundation
import Logging
import RAGCore
import RAGServer
import ServiceLifecycle

#if canImport(Glibc)
import CMalloc
#endif

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API (search, ask over SSE, jobs, WebSocket, extract).",
        discussion: """
            On first start with an empty index it ingests the corpus folder, so a fresh
            checkout answers questions at once. SIGTERM or Ctrl-C shuts down gracefully:
            open streams end with an `error` event `shutting_down`, requests in flight finish.
            """
    )

    @OptionGroup var index: IndexOptions
    @OptionGroup var generation: GeneratorOptions

    @Option(help: ArgumentHelp("Address to listen on (env RAG_HOST).", valueName: "host"))
    var host: String = ProcessInfo.processInfo.environment["RAG_HOST"] ?? "127.0.0.1"

    @Option(help: ArgumentHelp("Port to listen on, 0 for any free port (env RAG_PORT).", valueName: "port"))
    var port: Int = Int(ProcessInfo.processInfo.environment["RAG_PORT"] ?? "") ?? 8080

    @Option(help: ArgumentHelp("Folder ingested on first start when the index is empty.", valueName: "path"))
    var corpus = "corpus"

    @Option(help: ArgumentHelp("Largest request body, in bytes.", valueName: "bytes"))
    var maxBody = 10 << 20

    @Option(help: ArgumentHelp("Longest question, in characters.", valueName: "chars"))
    var maxQuestion = 2000

    @Option(help: ArgumentHelp("Most concurrent streams (SSE, WebSocket, export); more get 503.", valueName: "n"))
    var maxStreams = 10_000

    @Option(help: ArgumentHelp("Drop a reader whose write has waited this long.", valueName: "seconds"))
    var sendTimeout = 30.0

    @Option(help: ArgumentHelp("Cancel a streamed job nobody has read for this long.", valueName: "seconds"))
    var resumeGrace = 10.0

    @Option(help: ArgumentHelp("Keep finished jobs readable this long.", valueName: "seconds"))
    var jobTtl = 300.0

    @Option(
        help: ArgumentHelp(
            "Most memory finished jobs may hold for resuming; beyond it the oldest are forgotten before --job-ttl.",
            valueName: "MiB"))
    var jobMemory = 32

    @Option(help: ArgumentHelp("Pause between the built-in generator's pieces.", valueName: "ms"))
    var tokenDelayMs = 0

    @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error.", valueName: "level"))
    var logLevel = "info"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535.") }
        guard maxBody > 0, maxQuestion > 0, maxStreams > 0, jobMemory > 0 else {
            throw ValidationError("--max-body, --max-question, --max-streams and --job-memory must be positive.")
        }
        guard sendTimeout > 0, resumeGrace >= 0, jobTtl >= 0, tokenDelayMs >= 0 else {
            throw ValidationError("Timeouts and delays must not be negative.")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("Unknown --log-level \(logLevel).") }
    }

    func run() async throws {
        Self.limitMallocArenas()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "rag")
        let searchIndex = try index.open()
        try await ingestCorpusIfEmpty(searchIndex, logger: logger)

        var settings = ServerSettings()
        settings.host = host
        settings.port = port
        settings.maxBody = maxBody
        settings.maxQuestion = maxQuestion
        settings.maxStreams = maxStreams
        settings.sendTimeout = .milliseconds(Int64(sendTimeout * 1000))
        settings.resumeGrace = .milliseconds(Int64(resumeGrace * 1000))
        settings.jobTTL = .milliseconds(Int64(jobTtl * 1000))
        settings.tokenDelay = .milliseconds(tokenDelayMs)
        settings.jobMemory = jobMemory << 20

        let service = RAGService(
            settings: settings, index: searchIndex, generator: generation.languageModel, logger: logger
        ) { port in
            logger.notice("listening", metadata: ["url": "http://\(host):\(port)/"])
        }
        let group = ServiceGroup(
            configuration: .init(
                services: service.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    private func ingestCorpusIfEmpty(_ searchIndex: SearchIndex, logger: Logger) async throws {
        guard try await searchIndex.reader.counts().documents == 0 else { return }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: corpus, isDirectory: &isDirectory), isDirectory.boolValue else {
            logger.warning("the index is empty and there is no corpus folder to ingest", metadata: ["corpus": "\(corpus)"])
            return
        }
        let report = try await FolderIngestor(index: searchIndex).run(paths: [corpus])
        logger.notice(
            "ingested the corpus",
            metadata: [
                "corpus": "\(corpus)", "documents": "\(report.created)", "passages": "\(report.passages)",
                "failed": "\(report.failures.count)",
            ])
        for failure in report.failures {
            logger.warning("could not ingest", metadata: ["path": "\(failure.path)", "reason": "\(failure.reason)"])
        }
    }

    /// glibc gives threads up to 8 malloc arenas per core. The server's threads (event
    /// loops, the concurrency pool, SQLite's readers) free memory that other threads
    /// allocated, and each arena kept its share: under a steady load of fast asks, with
    /// the finished jobs at their bound and the heap in use flat (heaptrack: 34 MB),
    /// anonymous memory kept creeping past 100 MiB. One arena per core: it levels at
    /// about 55 MiB, at the same throughput. `MALLOC_ARENA_MAX` in the environment wins.
    static func limitMallocArenas() {
        #if canImport(Glibc)
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil else { return }
        _ = mallopt(M_ARENA_MAX, Int32(max(2, ProcessInfo.processInfo.activeProcessorCount)))
        #endif
    }
}
