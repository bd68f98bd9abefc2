import Foundation
import HTTPTypes
import Hummingbird
import RAGCore

typealias Handler = @Sendable (Request, RAGRequestContext) async throws -> Response

/// The handler, run on the global executor instead of the connection's event loop: for
/// handlers that spend milliseconds of CPU (a search query, parsing documents,
/// extraction), which would otherwise stall every other connection on that loop.
func offEventLoop(_ handler: @escaping Handler) -> Handler {
    { request, context in
        try await withTaskExecutorPreference(globalConcurrentExecutor) { try await handler(request, context) }
    }
}

extension Router where Context == RAGRequestContext {
    /// Registers the handlers of one path, and a 405 with `Allow` for the other methods.
    func route(_ path: RouterPath, _ handlers: [HTTPRequest.Method: Handler]) {
        for (method, handler) in handlers {
            on(path, method: method, use: handler)
        }
        let allowed = handlers.keys.map(\.rawValue).sorted().joined(separator: ", ")
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch] where handlers[method] == nil {
            on(path, method: method) { request, _ -> Response in
                throw APIError(
                    .methodNotAllowed, "method_not_allowed", "\(request.method.rawValue) is not allowed here; use \(allowed).",
                    headers: [.allow: allowed])
            }
        }
    }
}

/// JSON answers of the API.
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try JSONCoding.data(value))))
    }
}
