import Hummingbird
import RAGCore

/// `/v1/jobs`: asks as tasks, with pause, resume and cancel.
struct JobRoutes {
    let state: ServiceState

    func register(on router: Router<RAGRequestContext>) {
        router.route("/v1/jobs", [.post: create])
        router.route("/v1/jobs/{id}", [.get: get])
        router.route("/v1/jobs/{id}/events", [.get: events])
        router.route("/v1/jobs/{id}/pause", [.post: control(.pause)])
        router.route("/v1/jobs/{id}/resume", [.post: control(.resume)])
        router.route("/v1/jobs/{id}/cancel", [.post: control(.cancel)])
    }

    /// `POST /v1/jobs`: starts at once and runs whether or not anyone reads it.
    @Sendable func create(_ request: Request, context: RAGRequestContext) async throws -> Response {
        var request = request
        let body = try await state.body.json(&request)
        let question = try QuestionRules(state.settings).question(try body.requiredString("question"), field: "question")
        let k = try QuestionRules.topK(try body.int("top_k"), field: "top_k")
        let job = state.jobs.create(question: question, topK: k, origin: .api)
        state.pipeline.announce(job)
        state.pipeline.start(job)
        return try JSONResponse.make(
            JobCreated(id: job.id, status: job.status.rawValue, events: "/v1/jobs/\(job.id)/events"), status: .accepted)
    }

    @Sendable func get(_ request: Request, context: RAGRequestContext) async throws -> Response {
        let job = try self.job(context)
        let snapshot = job.snapshot
        return try JSONResponse.make(
            JobView(
                id: job.id, status: snapshot.status.rawValue, question: job.question, answer: snapshot.answer,
                events: "/v1/jobs/\(job.id)/events", eventCount: snapshot.events,
                finishReason: snapshot.finishReason?.rawValue))
    }

    /// The job's events from the start, or after `Last-Event-ID`.
    @Sendable func events(_ request: Request, context: RAGRequestContext) async throws -> Response {
        let job = try self.job(context)
        let streams = EventStreams(state: state)
        if let point = try ResumePoint(request) {
            return try streams.resume(point, jobID: job.id, context: context)
        }
        guard let slot = state.registry.reserve() else { throw APIError.overloaded(retryAfter: 1) }
        return streams.stream(job: job, after: 0, slot: slot, context: context).response()
    }

    enum Action {
        case pause, resume, cancel
    }

    func control(_ action: Action) -> Handler {
        { [state] _, context in
            let job = try JobRoutes(state: state).job(context)
            do throws(JobControlError) {
                switch action {
                case .pause: _ = try job.pause()
                case .resume: _ = try job.resume()
                case .cancel: try job.cancel()
                }
            } catch {
                guard case .finished(let status) = error else { throw error }
                throw APIError.conflict("The job is \(status.rawValue); it can no longer be paused, resumed or cancelled.")
            }
            if action == .cancel {
                // Report the job's final state once its generator has stopped.
                await job.waitUntilFinished(timeout: .seconds(2))
            }
            return try JSONResponse.make(JobCreated(id: job.id, status: job.status.rawValue, events: nil))
        }
    }

    private func job(_ context: RAGRequestContext) throws -> Job {
        let id = context.parameters.get("id") ?? ""
        guard let job = state.jobs.job(id) else { throw APIError.notFound("The job \(id) is unknown or has expired.") }
        return job
    }
}

struct JobCreated: Encodable {
    var id: String
    var status: String
    var events: String?
}

struct JobView: Encodable {
    var id: String
    var status: String
    var question: String
    var answer: String
    var events: String
    var eventCount: Int
    var finishReason: String?

    enum CodingKeys: String, CodingKey {
        case id, status, question, answer, events
        case eventCount = "event_count"
        case finishReason = "finish_reason"
    }
}
