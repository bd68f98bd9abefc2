import HTTPTypes
import Hummingbird
import RAGCore

/// `GET|POST /v1/ask`: SSE by default, complete JSON when asked; every ask is a job, and
/// a reconnect with `Last-Event-ID` resumes it instead of asking again.
struct AskRoutes {
    let state: ServiceState

    func register(on router: Router<RAGRequestContext>) {
        router.route("/v1/ask", [.get: get, .post: post])
    }

    @Sendable func get(_ request: Request, context: RAGRequestContext) async throws -> Response {
        if let resume = try ResumePoint(request) {
            return try EventStreams(state: state).resume(resume, jobID: nil, context: context)
        }
        let question = try QuestionRules(state.settings).question(request.query("q"), field: "q")
        let k = try QuestionRules.topK(request.query("k"), field: "k", default: 5)
        return try await ask(question, k: k, json: request.prefersJSON, context: context)
    }

    @Sendable func post(_ request: Request, context: RAGRequestContext) async throws -> Response {
        if let resume = try ResumePoint(request) {
            return try EventStreams(state: state).resume(resume, jobID: nil, context: context)
        }
        var request = request
        let body = try await state.body.json(&request)
        let question = try QuestionRules(state.settings).question(try body.requiredString("question"), field: "question")
        let k = try QuestionRules.topK(try body.int("top_k"), field: "top_k")
        // The body's `stream` wins over the Accept header.
        let json = try body.bool("stream").map { !$0 } ?? request.prefersJSON
        return try await ask(question, k: k, json: json, context: context)
    }

    private func ask(_ question: String, k: Int, json: Bool, context: RAGRequestContext) async throws -> Response {
        let asking = Asking(state: state)
        if json { return try JSONResponse.make(try await asking.answer(question, k: k, context: context)) }
        return try asking.stream(question, k: k, context: context)
    }
}

/// Asks as the routes answer them: complete (JSON) or streamed. Every ask is a job.
struct Asking {
    let state: ServiceState

    /// The whole answer. A client that leaves before it is written cancels the job, which
    /// stops its generation (and closes a language model's request).
    func answer(_ question: String, k: Int, context: RAGRequestContext) async throws -> AskOutcome {
        let job = state.jobs.create(question: question, topK: k, origin: .api)
        state.pipeline.announce(job)
        await ConnectionWatch.watch(context.channel) { try? job.cancel() }
        defer { ConnectionWatch.stopWatching(context.channel) }
        guard let outcome = await state.pipeline.runAndWait(job) else {
            throw APIError(.internalServerError, "generation_failed", "The answer could not be generated.")
        }
        return outcome
    }

    /// The answer as a stream: rag's resumable events, or another framing for the new job
    /// (whose stream then cannot be resumed, so a reader that leaves cancels it at once).
    func stream(
        _ question: String, k: Int, context: RAGRequestContext, framing: ((Job) -> EventFraming)? = nil
    ) throws -> Response {
        guard let slot = state.registry.reserve() else { throw APIError.overloaded(retryAfter: 1) }
        let pipeline = state.pipeline
        let job = state.jobs.create(question: question, topK: k, origin: framing == nil ? .stream : .unresumableStream)
        var stream = EventStreams(state: state).stream(job: job, after: 0, slot: slot, context: context)
        stream.framing = framing?(job) ?? .events
        pipeline.announce(job)
        // Retrieval starts once the first bytes are on their way.
        stream.onFirstWrite = { pipeline.start(job) }
        return stream.response()
    }
}

/// Where a reconnecting client left off: `Last-Event-ID: <job>:<seq>` (header, or
/// `?last_event_id=`).
struct ResumePoint {
    var jobID: String
    var seq: Int

    /// `nil` if the request does not resume; 400 if the id is malformed.
    init?(_ request: Request) throws {
        let header = request.headers[HTTPField.Name("Last-Event-ID")!]
        guard let raw = header ?? request.query("last_event_id") else { return nil }
        let value = raw.trimmed
        guard let colon = value.lastIndex(of: ":"), colon > value.startIndex,
            let seq = Int(value[value.index(after: colon)...]), seq >= 0
        else {
            throw APIError.badRequest("Last-Event-ID must be <job>:<seq>, as the stream's ids are; got \"\(raw)\".")
        }
        self.jobID = String(value[..<colon])
        self.seq = seq
    }
}

/// Opening SSE streams on jobs, new or resumed.
struct EventStreams {
    let state: ServiceState

    func stream(job: Job, after: Int, slot: StreamRegistry.Slot, context: RAGRequestContext) -> SSEStream {
        SSEStream(
            job: job, after: after, registry: state.registry, slot: slot, channel: context.channel)
    }

    /// The events after a resume point: 404 for an unknown or expired job, 204 when the
    /// client already has the final event (which stops an `EventSource`).
    func resume(_ point: ResumePoint, jobID: String?, context: RAGRequestContext) throws -> Response {
        if let jobID, jobID != point.jobID {
            throw APIError.badRequest("Last-Event-ID names job \(point.jobID), not \(jobID).")
        }
        guard let job = state.jobs.job(point.jobID) else {
            throw APIError.notFound("The job \(point.jobID) is unknown or has expired; ask again.")
        }
        let last = job.lastSeq
        if point.seq > last {
            throw APIError.badRequest("Last-Event-ID \(point.jobID):\(point.seq) is past the job's last event (\(last)).")
        }
        if point.seq == last, job.status.isFinished { return Response(status: .noContent) }
        guard let slot = state.registry.reserve() else { throw APIError.overloaded(retryAfter: 1) }
        return stream(job: job, after: point.seq, slot: slot, context: context).response()
    }
}
