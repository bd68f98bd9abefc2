import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RAGCore

/// Turns every error into the contract's JSON error; a server error never leaks details.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = RAGRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            return try Self.convert(error, request: request).response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return try APIError(.internalServerError, "internal_error", "The server failed to handle this request.")
                .response(from: request, context: context)
        }
    }

    static func convert(_ error: HTTPError, request: Request) -> APIError {
        switch error.status {
        case .notFound:
            return APIError.notFound("No route for \(request.method.rawValue) \(request.uri.path).")
        case .contentTooLarge:
            return APIError(.contentTooLarge, "payload_too_large", "The request body is too large.")
        case .methodNotAllowed:
            return APIError(.methodNotAllowed, "method_not_allowed", "\(request.method.rawValue) is not allowed here.")
        case .badRequest:
            return APIError.badRequest(error.body ?? "The request is malformed.")
        default:
            let code = error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
            return APIError(error.status, code.isEmpty ? "error" : code, error.body ?? error.status.reasonPhrase)
        }
    }
}

/// One structured log line per request, the request counter, and 503 during shutdown.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = RAGRequestContext
    let state: ServiceState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        var response: Response
        if state.isShuttingDown && request.uri.path != "/healthz" && request.uri.path != "/metrics" {
            response = try APIError.shuttingDown.response(from: request, context: context)
        } else {
            response = try await next(request, context)
        }
        let route = context.endpointPath ?? "unmatched"
        state.metrics.request(route: route, status: Int(response.status.code))
        context.logger.info(
            "request",
            metadata: [
                "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "route": "\(route)",
                "status": "\(response.status.code)", "ms": "\((clock.now - start).milliseconds)",
            ])
        return response
    }
}
