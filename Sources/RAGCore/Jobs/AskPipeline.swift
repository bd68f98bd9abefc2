/// Measurements the server turns into metrics.
public protocol AskObserver: Sendable {
    func retrievalFinished(after duration: Duration)
    func generationFinished(after duration: Duration)
}

/// The result of an ask, encoded as JSON mode returns it.
public struct AskOutcome: Sendable, Encodable {
    public var jobID: String
    public var docs: [FoundDoc]
    public var answer: String
    public var citations: [Citation]
    public var finishReason: FinishReason
    public var timings: Timings

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case answer, docs, citations
        case finishReason = "finish_reason"
        case timings
    }
}

/// Runs a job: retrieval (`found`), generation (`token`s) and the final `done`, honouring
/// pause and cancel between pieces.
public struct AskPipeline: Sendable {
    public let retriever: any Retrieving
    public let generator: any Generator
    public let observer: (any AskObserver)?

    public init(retriever: any Retrieving, generator: any Generator, observer: (any AskObserver)? = nil) {
        self.retriever = retriever
        self.generator = generator
        self.observer = observer
    }

    /// The job's first event, sent before retrieval starts.
    public func announce(_ job: Job) {
        job.emit(.progress, EventPayload.searching(job.question))
    }

    /// Runs the job in a task of its own; it goes on whether or not anyone reads it.
    @discardableResult
    public func start(_ job: Job) -> Task<Void, Never> {
        let task = Task { _ = await run(job) }
        job.setTask(task)
        return task
    }

    /// Runs the job to its end in the calling task. Returns `nil` if it failed.
    ///
    /// Retrieval and generation run on the global executor whatever the caller prefers:
    /// the server calls this from connections' event loops, which they must not hold.
    @discardableResult
    public func run(_ job: Job) async -> AskOutcome? {
        await withTaskExecutorPreference(globalConcurrentExecutor) { await execute(job) }
    }

    /// Runs the job for a caller that waits for the whole answer (JSON mode), in a task
    /// of its own registered with the job, so ``Job/cancel()`` stops the generator at once
    /// (and with a language model, closes its request); cancelling the caller does too.
    public func runAndWait(_ job: Job) async -> AskOutcome? {
        let task = Task { await run(job) }
        job.setTask(task)
        return await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
    }

    private func execute(_ job: Job) async -> AskOutcome? {
        job.markRunning()
        let clock = ContinuousClock()
        let start = clock.now
        var docs: [FoundDoc] = []
        var passages: [RetrievedPassage] = []
        var retrievalDuration = Duration.zero
        do {
            let retrieved = try await retriever.retrieve(job.question, limit: job.topK)
            passages = retrieved.passages
            retrievalDuration = clock.now - start
            observer?.retrievalFinished(after: retrievalDuration)
            docs = passages.map { FoundDoc($0.hit) }
            job.emit(.progress, EventPayload.found(docs))

            let language = Language(detectingIn: job.question)
            let pieces: AsyncThrowingStream<String, any Error>
            if passages.isEmpty {
                pieces = AsyncThrowingStream { continuation in
                    continuation.yield(NoContextAnswer.text(for: language))
                    continuation.finish()
                }
            } else {
                pieces = generator.generate(
                    GenerationInput(question: job.question, language: language, passages: passages, terms: retrieved.terms))
            }
            var reason: FinishReason = passages.isEmpty ? .noContext : .stop
            for try await piece in pieces {
                if job.status == .paused { await job.waitWhilePaused() }
                if job.isCancelRequested || Task.isCancelled {
                    reason = .cancelled
                    break
                }
                if !job.emitToken(piece) {
                    reason = job.isCancelRequested ? .cancelled : .length
                    break
                }
            }
            if job.isCancelRequested { reason = .cancelled }
            return finish(job, reason: reason, docs: docs, passages: passages, retrieval: retrievalDuration, started: start)
        } catch let stopped as GenerationStopped {
            let reason = job.isCancelRequested ? .cancelled : stopped.reason
            return finish(job, reason: reason, docs: docs, passages: passages, retrieval: retrievalDuration, started: start)
        } catch is CancellationError {
            return finish(job, reason: .cancelled, docs: docs, passages: passages, retrieval: retrievalDuration, started: start)
        } catch {
            if job.isCancelRequested {
                return finish(job, reason: .cancelled, docs: docs, passages: passages, retrieval: retrievalDuration, started: start)
            }
            job.finish(
                .failed, reason: .error, kind: .error,
                payload: EventPayload.error(code: "generation_failed", message: "The answer could not be generated: \(error)."))
            return nil
        }
    }

    private func finish(
        _ job: Job, reason: FinishReason, docs: [FoundDoc], passages: [RetrievedPassage], retrieval: Duration,
        started: ContinuousClock.Instant
    ) -> AskOutcome {
        let generation = ContinuousClock.now - started - retrieval
        observer?.generationFinished(after: generation)
        let answer = job.answer
        let citations = Citation.cited(in: answer, passages: passages)
        let timings = Timings(retrievalMs: retrieval.milliseconds, generationMs: generation.milliseconds)
        let status: JobStatus = reason == .cancelled ? .cancelled : .done
        job.finish(
            status, reason: reason, kind: .done,
            payload: EventPayload.done(answer: answer, citations: citations, finishReason: reason, timings: timings))
        return AskOutcome(jobID: job.id, docs: docs, answer: answer, citations: citations, finishReason: reason, timings: timings)
    }
}
