import Foundation
import HTTPTypes
import Hummingbird
import RAGCore

/// `/v1/documents`: ingest over HTTP through the same parser and writer as `rag ingest`.
struct DocumentRoutes {
    let state: ServiceState

    func register(on router: Router<RAGRequestContext>) {
        router.route("/v1/documents", [.get: list, .post: offEventLoop(post)])
        router.route("/v1/documents/**", [.get: getOne, .put: offEventLoop(put), .delete: delete])
    }

    /// `POST /v1/documents`: one transaction for the whole list; any invalid document,
    /// a repeated id or an empty list is 422 and nothing is written.
    @Sendable func post(_ request: Request, context: RAGRequestContext) async throws -> Response {
        var request = request
        let body = try await state.body.json(&request)
        guard let items = try body.array("documents") else { throw APIError.badRequest("documents is required.") }
        guard !items.isEmpty else { throw APIError.invalid("documents must contain at least one document.") }

        var inputs: [DocumentInput] = []
        var seen = Set<String>()
        for (i, item) in items.enumerated() {
            guard case .object(let members) = item else {
                throw APIError.badRequest("documents[\(i)] must be an object.")
            }
            let doc = JSONObject(members: members, path: "documents[\(i)].")
            let content = try doc.requiredString("content")
            var format: DocumentFormat?
            if let name = try doc.string("format") {
                guard let f = DocumentFormat(rawValue: name.lowercased()) else {
                    throw APIError.invalid(
                        "documents[\(i)].format must be html, xml, markdown or text.", extra: ["index": .number(Double(i))])
                }
                format = f
            }
            let input = DocumentInput(
                id: try doc.string("id"), source: try doc.string("source"), title: try doc.string("title"),
                format: format, text: content)
            let id = input.resolvedID
            if let problem = Self.problem(with: id) {
                throw APIError.invalid("documents[\(i)].id \(problem)", extra: ["index": .number(Double(i))])
            }
            guard seen.insert(id).inserted else {
                throw APIError.invalid(
                    "documents[\(i)] repeats the id \(id); ids must be unique in one request.",
                    extra: ["index": .number(Double(i))])
            }
            inputs.append(input)
        }

        // Unchanged documents are not parsed at all; the others are parsed before the
        // transaction, so a bad one fails the request before anything is written.
        let known = try await state.index.writer.fingerprints(of: inputs.map(\.resolvedID))
        var parsed: [ParsedDocument] = []
        for (i, input) in inputs.enumerated() where !input.isUnchanged(comparedTo: known[input.resolvedID]) {
            do {
                parsed.append(try state.parser.parse(input))
            } catch {
                throw APIError.invalid(
                    "documents[\(i)] could not be ingested: \(error.description).", extra: ["index": .number(Double(i))])
            }
        }
        let statuses = try await state.index.writer.writeAll(parsed)
        var byID: [String: (ParsedDocument, WriteStatus)] = [:]
        for (doc, status) in zip(parsed, statuses) { byID[doc.id] = (doc, status) }
        state.metrics.ingested.increment(by: Int64(statuses.filter { $0 != .unchanged }.count))

        var results: [JSONValue] = []
        var counts: [WriteStatus: Int] = [:]
        for input in inputs {
            let id = input.resolvedID
            let title: String
            let passages: Int
            let status: WriteStatus
            if let (doc, written) = byID[id] {
                (title, passages, status) = (doc.title, doc.passages.count, written)
            } else if let stored = try await state.index.reader.document(id: id) {
                (title, passages, status) = (stored.summary.title, stored.summary.passages, .unchanged)
            } else {
                continue
            }
            counts[status, default: 0] += 1
            results.append(Self.entry(id: id, title: title, passages: passages, status: status))
        }
        let answer: [String: JSONValue] = [
            "documents": .array(results),
            "created": .number(Double(counts[.created] ?? 0)),
            "updated": .number(Double(counts[.updated] ?? 0)),
            "unchanged": .number(Double(counts[.unchanged] ?? 0)),
        ]
        return try JSONResponse.make(JSONValue.object(answer))
    }

    /// `PUT /v1/documents/{id}` with a raw body: 201 created, 200 updated or unchanged.
    @Sendable func put(_ request: Request, context: RAGRequestContext) async throws -> Response {
        let id = try Self.documentID(request)
        guard let mediaType = request.mediaType, let format = DocumentFormat(mediaType: mediaType) else {
            throw APIError.unsupportedMediaType(
                "Send the document as text/html, application/xhtml+xml, application/xml, text/xml, text/markdown or text/plain.")
        }
        var request = request
        let buffer = try await state.body.bytes(&request)
        let input = DocumentInput(
            id: id, source: request.query("source") ?? id, format: format, bytes: Array(buffer.readableBytesView),
            declaredCharset: request.charset)
        let status: WriteStatus
        let title: String
        let passages: Int
        if input.isUnchanged(comparedTo: try await state.index.writer.fingerprints(of: [id])[id]),
            let stored = try await state.index.reader.document(id: id)
        {
            (status, title, passages) = (.unchanged, stored.summary.title, stored.summary.passages)
        } else {
            let doc: ParsedDocument
            do {
                doc = try state.parser.parse(input)
            } catch {
                throw APIError.invalid("The document could not be ingested: \(error.description).")
            }
            status = try await state.index.writer.write(doc)
            (title, passages) = (doc.title, doc.passages.count)
            if status != .unchanged { state.metrics.ingested.increment() }
        }
        return try JSONResponse.make(
            Self.entry(id: id, title: title, passages: passages, status: status), status: status == .created ? .created : .ok)
    }

    @Sendable func getOne(_ request: Request, context: RAGRequestContext) async throws -> Response {
        let id = try Self.documentID(request)
        guard let doc = try await state.index.reader.document(id: id) else {
            throw APIError.notFound("No document has the id \(id).")
        }
        let answer: [String: JSONValue] = [
            "id": .string(doc.summary.id), "title": .string(doc.summary.title), "source": .string(doc.summary.source),
            "format": .string(doc.summary.format), "passages": .number(Double(doc.summary.passages)),
            "text": .string(doc.text),
        ]
        return try JSONResponse.make(JSONValue.object(answer))
    }

    @Sendable func delete(_ request: Request, context: RAGRequestContext) async throws -> Response {
        let id = try Self.documentID(request)
        guard try await state.index.writer.delete(id: id) else {
            throw APIError.notFound("No document has the id \(id).")
        }
        return Response(status: .noContent)
    }

    /// `GET /v1/documents?limit=&cursor=`: ordered by id; `next_cursor` is null on the last page.
    @Sendable func list(_ request: Request, context: RAGRequestContext) async throws -> Response {
        var limit = 50
        if let text = request.query("limit") {
            guard let n = Int(text) else { throw APIError.badRequest("limit must be an integer.") }
            guard (1...1000).contains(n) else { throw APIError.invalid("limit must be between 1 and 1000.") }
            limit = n
        }
        var after: String?
        if let cursor = request.query("cursor"), !cursor.isEmpty {
            guard let decoded = Cursor.decode(cursor) else { throw APIError.badRequest("cursor is not valid.") }
            after = decoded
        }
        let page = try await state.index.reader.documents(after: after, limit: limit + 1)
        let shown = page.prefix(limit)
        let next: JSONValue = page.count > limit ? .string(Cursor.encode(shown.last!.id)) : .null
        let documents: [JSONValue] = shown.map { doc in
            JSONValue.object([
                "id": .string(doc.id), "title": .string(doc.title), "source": .string(doc.source),
                "format": .string(doc.format), "passages": .number(Double(doc.passages)),
            ])
        }
        return try JSONResponse.make(JSONValue.object(["documents": .array(documents), "next_cursor": next]))
    }

    private static func entry(id: String, title: String, passages: Int, status: WriteStatus) -> JSONValue {
        .object([
            "id": .string(id), "title": .string(title), "passages": .number(Double(passages)),
            "status": .string(status.rawValue),
        ])
    }

    /// The id in the path after `/v1/documents/`, percent-decoded (`/` arrives as `%2F`,
    /// or unencoded from clients that do not encode it).
    static func documentID(_ request: Request) throws -> String {
        let prefix = "/v1/documents/"
        let path = request.uri.path
        guard path.hasPrefix(prefix) else { throw APIError.notFound("No document id in the path.") }
        let raw = String(path.dropFirst(prefix.count))
        let id = raw.removingPercentEncoding ?? raw
        if let problem = problem(with: id) { throw APIError.badRequest("The document id \(problem)") }
        return id
    }

    /// Why an id is not acceptable, or `nil`.
    static func problem(with id: String) -> String? {
        if id.isEmpty { return "must not be empty." }
        if id.unicodeScalars.count > 256 { return "must be at most 256 characters." }
        if id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "must not contain control characters."
        }
        return nil
    }
}

/// Opaque list cursors: the last id of a page, base64url-encoded.
enum Cursor {
    static func encode(_ id: String) -> String {
        Data(id.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String) -> String? {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64) else { return nil }
        return String(data: data, encoding: .utf8)
    }
}
