import Foundation
import HTTPTypes
import Hummingbird
import RAGCore

/// An error in the contract's format: `{"error": {"code", "message", ...}}` with a JSON
/// content type. Every non-2xx answer of the API is one of these.
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Extra members of the error object (`missing`, `index`, `keyword`...), as JSON.
    public var extra: [String: JSONValue]
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, _ code: String, _ message: String, extra: [String: JSONValue] = [:],
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        // The OpenAI-compatible routes answer in OpenAI's shape, whatever failed.
        let error = ChatCompletionRoutes.serves(request.uri.path) ? openAIShaped : self
        var headers = error.headers
        headers[.contentType] = "application/json"
        return Response(status: error.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: error.body)))
    }

    /// The JSON body.
    public var body: [UInt8] {
        var error: [String: JSONValue] = extra
        error["code"] = .string(code)
        error["message"] = .string(message)
        return Array((try? JSONCoding.data(JSONValue.object(["error": .object(error)]))) ?? Data())
    }

    /// The error object alone (what a batch failure nests as `item`).
    public var object: JSONValue {
        var error: [String: JSONValue] = extra
        error["code"] = .string(code)
        error["message"] = .string(message)
        return .object(error)
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }
    static func invalid(_ message: String, extra: [String: JSONValue] = [:]) -> APIError {
        APIError(.unprocessableContent, "validation_failed", message, extra: extra)
    }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }
    static func conflict(_ message: String) -> APIError { APIError(.conflict, "conflict", message) }
    static let invalidJSON = APIError(.badRequest, "invalid_json", "The request body is not valid JSON.")

    static func unsupportedMediaType(_ message: String) -> APIError {
        APIError(.unsupportedMediaType, "unsupported_media_type", message)
    }

    static func payloadTooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, "payload_too_large", "The request body is larger than the limit of \(limit) bytes.")
    }

    static func overloaded(retryAfter: Int) -> APIError {
        APIError(
            .serviceUnavailable, "overloaded", "Too many open streams; try again shortly.",
            headers: [.retryAfter: "\(retryAfter)"])
    }

    static let shuttingDown = APIError(
        .serviceUnavailable, "shutting_down", "The server is shutting down.", headers: [.retryAfter: "5"])
}
