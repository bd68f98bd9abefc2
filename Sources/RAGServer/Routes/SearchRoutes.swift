import Hummingbird
import RAGCore

/// `GET /v1/search`: complete JSON, never streamed.
struct SearchRoutes {
    let state: ServiceState

    func register(on router: Router<RAGRequestContext>) {
        router.route("/v1/search", [.get: offEventLoop(search)])
    }

    @Sendable func search(_ request: Request, context: RAGRequestContext) async throws -> Response {
        let query = try QuestionRules(state.settings).question(request.query("q"), field: "q")
        let k = try QuestionRules.topK(request.query("k"), field: "k", default: 10)
        let clock = ContinuousClock()
        let start = clock.now
        let hits = try await state.index.reader.search(query, limit: k)
        return try JSONResponse.make(SearchResponse(query: query, tookMs: (clock.now - start).milliseconds, hits: hits))
    }
}

/// The checks shared by search, ask and jobs: a question of 1 to `--max-question`
/// characters (Unicode scalars), and `k`/`top_k` from 1 to 50.
struct QuestionRules {
    let maxCharacters: Int

    init(_ settings: ServerSettings) {
        maxCharacters = settings.maxQuestion
    }

    func question(_ text: String?, field: String) throws -> String {
        guard let text else { throw APIError.badRequest("\(field) is required.") }
        let trimmed = text.trimmed
        guard !trimmed.isEmpty else { throw APIError.invalid("\(field) must not be empty.") }
        guard text.unicodeScalars.count <= maxCharacters else {
            throw APIError.invalid("\(field) is longer than \(maxCharacters) characters.")
        }
        return trimmed
    }

    static func topK(_ text: String?, field: String, default value: Int) throws -> Int {
        guard let text else { return value }
        guard let n = Int(text) else { throw APIError.badRequest("\(field) must be an integer.") }
        return try topK(n, field: field)
    }

    static func topK(_ n: Int?, field: String, default value: Int = 5) throws -> Int {
        guard let n else { return value }
        guard (1...50).contains(n) else { throw APIError.invalid("\(field) must be between 1 and 50.") }
        return n
    }
}
