import HTTPTypes
import Hummingbird
import RAGCore

/// `POST /v1/extract` and `POST /v1/extract/batch`: structured extraction. Always complete
/// JSON, whatever the `Accept` header asks for: an extraction never streams.
struct ExtractRoutes {
    let state: ServiceState

    func register(on router: Router<RAGRequestContext>) {
        router.route("/v1/extract", [.post: offEventLoop(extract)])
        router.route("/v1/extract/batch", [.post: offEventLoop(batch)])
    }

    var service: ExtractionService {
        ExtractionService(index: state.index, retriever: state.pipeline.retriever, maxQuery: state.settings.maxQuestion)
    }

    @Sendable func extract(_ request: Request, context: RAGRequestContext) async throws -> Response {
        var request = request
        let body = try await state.body.json(&request)
        do {
            return try JSONResponse.make(try await service.extract(json: .object(body.members)).json)
        } catch let error as ExtractionError {
            throw APIError(error)
        }
    }

    /// All or nothing: every result in order, or the first failure and no results.
    @Sendable func batch(_ request: Request, context: RAGRequestContext) async throws -> Response {
        var request = request
        let body = try await state.body.json(&request)
        do {
            let results = try await service.batch(json: .object(body.members))
            return try JSONResponse.make(JSONValue.object(["results": .array(results.map(\.json))]))
        } catch let error as ExtractionError {
            throw APIError(error)
        }
    }
}

extension APIError {
    init(_ error: ExtractionError) {
        self.init(HTTPResponse.Status(code: error.status), error.code, error.message, extra: error.extra)
    }
}
