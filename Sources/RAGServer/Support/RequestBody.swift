import Foundation
import HTTPTypes
import Hummingbird
import RAGCore

/// Reading request bodies the way the contract wants: size limit (413), media type (415),
/// JSON syntax (400 `invalid_json`), field types (400 `bad_request`).
struct BodyReader: Sendable {
    let maxBytes: Int

    /// The raw body, refused with 413 past the limit (declared or actual).
    func bytes(_ request: inout Request) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBytes {
            throw APIError.payloadTooLarge(limit: maxBytes)
        }
        do {
            return try await request.collectBody(upTo: maxBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge(limit: maxBytes)
        }
    }

    /// A JSON object body. A missing `Content-Type` is taken as JSON; any other type is 415.
    func json(_ request: inout Request) async throws -> JSONObject {
        let mediaType = request.mediaType
        if let mediaType, mediaType != "application/json", !mediaType.hasSuffix("+json") {
            throw APIError.unsupportedMediaType("Send the body as application/json, not \(mediaType).")
        }
        let buffer = try await bytes(&request)
        guard let value = JSONValue.parse(buffer.readableBytesView) else { throw APIError.invalidJSON }
        guard case .object(let members) = value else {
            throw APIError.badRequest("The request body must be a JSON object.")
        }
        return JSONObject(members: members, path: "")
    }
}

extension Request {
    /// The `Content-Type` without parameters, lower-cased; `nil` if absent.
    var mediaType: String? {
        guard let value = headers[.contentType] else { return nil }
        return value.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }

    /// The `charset` parameter of the `Content-Type`, if any.
    var charset: String? {
        guard let value = headers[.contentType] else { return nil }
        for parameter in value.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "charset" {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: " \""))
            }
        }
        return nil
    }

    /// A query parameter, percent-decoded (`+` is a space). Raw non-ASCII bytes sent
    /// unencoded (as curl does) are taken as they are.
    func query(_ name: String) -> String? {
        guard let raw = uri.queryParameters[name[...]] else { return nil }
        let spaced = raw.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// Whether the client asked for JSON rather than an event stream.
    var prefersJSON: Bool {
        let accept = headers[.accept]?.lowercased() ?? ""
        return accept.contains("application/json") && !accept.contains("text/event-stream")
    }
}

/// A JSON object from a request, with typed accessors whose errors name the field.
struct JSONObject: Sendable {
    let members: [String: JSONValue]
    /// Where this object is in the body, for messages ("documents[2].").
    let path: String

    subscript(key: String) -> JSONValue? { members[key] }

    func string(_ key: String) throws -> String? {
        switch members[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let other?: throw APIError.badRequest("\(path)\(key) must be a string, not \(other.typeName).")
        }
    }

    func requiredString(_ key: String) throws -> String {
        guard let value = try string(key) else { throw APIError.badRequest("\(path)\(key) is required.") }
        return value
    }

    func int(_ key: String) throws -> Int? {
        switch members[key] {
        case nil, .null?: return nil
        case .number(let n)? where n == n.rounded() && abs(n) < 1e9: return Int(n)
        case let other?: throw APIError.badRequest("\(path)\(key) must be an integer, not \(other.typeName).")
        }
    }

    func bool(_ key: String) throws -> Bool? {
        switch members[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case let other?: throw APIError.badRequest("\(path)\(key) must be a boolean, not \(other.typeName).")
        }
    }

    func array(_ key: String) throws -> [JSONValue]? {
        switch members[key] {
        case nil, .null?: return nil
        case .array(let a)?: return a
        case let other?: throw APIError.badRequest("\(path)\(key) must be an array, not \(other.typeName).")
        }
    }
}
