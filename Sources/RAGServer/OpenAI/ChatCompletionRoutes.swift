import Foundation
import HTTPTypes
import Hummingbird
import RAGCore

/// The OpenAI-compatible facade: `GET /v1/models` and `POST /v1/chat/completions`, so the
/// official OpenAI clients (and tools built on them) can ask rag unchanged.
///
/// The last user message is the question. A completion is an ask: `stream: true` streams
/// its tokens as `chat.completion.chunk`s, otherwise one `chat.completion` comes back.
/// A `response_format` of type `json_schema` is an extraction over the passages retrieved
/// for the question; its JSON is complete and schema-valid, and is never split across
/// chunks. Errors have OpenAI's shape: `{"error": {"message", "type", "code", "param"}}`.
struct ChatCompletionRoutes {
    static let model = "rag"
    /// Passages retrieved per question (the ask API's default; OpenAI has no such parameter).
    static let topK = 5

    let state: ServiceState

    func register(on router: Router<RAGRequestContext>) {
        router.route("/v1/models", [.get: models])
        router.route("/v1/models/{model}", [.get: model])
        // Off the event loop: extraction and the JSON answers' retrieval take milliseconds of CPU.
        router.route("/v1/chat/completions", [.post: offEventLoop(complete)])
    }

    /// Whether `path` is one of these routes (their errors take OpenAI's shape).
    static func serves(_ path: String) -> Bool {
        path.hasPrefix("/v1/chat/") || path == "/v1/models" || path.hasPrefix("/v1/models/")
    }

    // MARK: - Models

    private static var modelObject: JSONValue {
        .object(["id": .string(model), "object": .string("model"), "created": .number(0), "owned_by": .string("rag")])
    }

    @Sendable func models(_ request: Request, context: RAGRequestContext) async throws -> Response {
        try JSONResponse.make(JSONValue.object(["object": .string("list"), "data": .array([Self.modelObject])]))
    }

    @Sendable func model(_ request: Request, context: RAGRequestContext) async throws -> Response {
        let name = context.parameters.get("model") ?? ""
        guard name == Self.model else { throw Self.unknownModel(name) }
        return try JSONResponse.make(Self.modelObject)
    }

    // MARK: - Completions

    private struct Completion {
        var question: String
        var stream: Bool
        /// `stream_options.include_usage`: a last chunk with the usage before `[DONE]`.
        var includeUsage: Bool
        var format: Format

        enum Format {
            case text
            case jsonObject
            case jsonSchema(JSONValue)
        }
    }

    @Sendable func complete(_ request: Request, context: RAGRequestContext) async throws -> Response {
        var request = request
        let completion = try parse(try await state.body.json(&request))
        switch completion.format {
        case .text where completion.stream:
            return try stream(completion.question, includeUsage: completion.includeUsage, context: context)
        case .text:
            let outcome = try await Asking(state: state).answer(completion.question, k: Self.topK, context: context)
            return try Self.completion(
                content: outcome.answer, question: completion.question, id: "chatcmpl-\(outcome.jobID)",
                finishReason: ChatCompletionChunks.openAIReason(outcome.finishReason), citations: outcome.citations)
        case .jsonObject:
            // JSON mode without a schema: the answer and its citations as one object.
            let outcome = try await Asking(state: state).answer(completion.question, k: Self.topK, context: context)
            let object = JSONValue.object([
                "answer": .string(outcome.answer),
                "citations": try Self.json(outcome.citations),
            ])
            return try whole(
                content: String(decoding: try JSONCoding.data(object), as: UTF8.self), completion: completion,
                id: "chatcmpl-\(outcome.jobID)")
        case .jsonSchema(let schema):
            let data = try await extract(schema: schema, question: completion.question)
            return try whole(
                content: String(decoding: try JSONCoding.data(data), as: UTF8.self), completion: completion,
                id: "chatcmpl-\(JobStore.randomID())")
        }
    }

    /// The request body, checked: model, messages (the last user message is the question),
    /// stream and response_format. Other OpenAI parameters (temperature...) do not apply.
    private func parse(_ body: JSONObject) throws -> Completion {
        let model = try body.requiredString("model")
        guard model == Self.model else { throw Self.unknownModel(model) }
        guard let messages = try body.array("messages"), !messages.isEmpty else {
            throw APIError.badRequest("messages is required: a non-empty array of {role, content}.")
        }
        guard let last = messages.lastIndex(where: { $0["role"]?.stringValue == "user" }) else {
            throw APIError.badRequest("messages has no message with role \"user\"; its last one is the question.")
        }
        guard let text = Self.text(of: messages[last]["content"]) else {
            throw APIError.badRequest("messages[\(last)].content must be a string or an array with text parts.")
        }
        let question = try QuestionRules(state.settings).question(text, field: "the last user message")
        var format = Completion.Format.text
        switch body["response_format"] {
        case nil, .null?:
            break
        case .object(let members)?:
            switch members["type"]?.stringValue {
            case "text": format = .text
            case "json_object": format = .jsonObject
            case "json_schema":
                guard let schema = members["json_schema"]?["schema"], case .object = schema else {
                    throw APIError.badRequest("response_format.json_schema.schema is required: a JSON Schema object.")
                }
                format = .jsonSchema(schema)
            default:
                throw APIError.badRequest("response_format.type must be text, json_object or json_schema.")
            }
        case let other?:
            throw APIError.badRequest("response_format must be an object, not \(other.typeName).")
        }
        let stream = try body.bool("stream") ?? false
        return Completion(
            question: question, stream: stream, includeUsage: try Self.includeUsage(body, stream: stream), format: format)
    }

    /// `stream_options`, which OpenAI accepts only with `stream: true`.
    private static func includeUsage(_ body: JSONObject, stream: Bool) throws -> Bool {
        switch body["stream_options"] {
        case nil, .null?:
            return false
        case .object(let members)? where stream:
            return try JSONObject(members: members, path: "stream_options.").bool("include_usage") ?? false
        case .object?:
            throw APIError.badRequest("stream_options is only allowed when stream is true.")
        case let other?:
            throw APIError.badRequest("stream_options must be an object, not \(other.typeName).")
        }
    }

    /// A message's text: a string, or the text parts of an array of content parts.
    private static func text(of content: JSONValue?) -> String? {
        switch content {
        case .string(let text)?:
            return text
        case .array(let parts)?:
            let texts = parts.compactMap { $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil }
            return texts.isEmpty ? nil : texts.joined(separator: "\n")
        default:
            return nil
        }
    }

    /// The ask as a stream of chunks. It cannot be resumed (chunks carry no ids), so a
    /// client that leaves cancels it at once instead of after the resume grace.
    private func stream(_ question: String, includeUsage: Bool, context: RAGRequestContext) throws -> Response {
        try Asking(state: state).stream(question, k: Self.topK, context: context) { job in
            var chunks = ChatCompletionChunks(id: "chatcmpl-\(job.id)", created: Self.now, model: Self.model)
            if includeUsage { chunks.usage = ChatCompletionUsage(question: question) }
            return .chatCompletion(chunks)
        }
    }

    private func extract(schema: JSONValue, question: String) async throws -> JSONValue {
        let request = JSONValue.object(["schema": schema, "query": .string(question)])
        let result: ExtractionResult
        do {
            result = try await ExtractRoutes(state: state).service.extract(json: request)
        } catch {
            throw APIError(error)
        }
        return result.json["data"] ?? .null
    }

    /// Content that is complete at once: one `chat.completion`, or (if a stream was asked
    /// for) the same content in a single chunk, then `[DONE]`.
    private func whole(content: String, completion: Completion, id: String) throws -> Response {
        guard completion.stream else {
            return try Self.completion(
                content: content, question: completion.question, id: id, finishReason: "stop", citations: nil)
        }
        var chunks = ChatCompletionChunks(id: id, created: Self.now, model: Self.model)
        if completion.includeUsage {
            chunks.usage = ChatCompletionUsage(question: completion.question)
            chunks.usage?.count(content)
        }
        var buffer = ByteBuffer()
        chunks.writeFirst(into: &buffer)
        chunks.writeContent(content, into: &buffer)
        chunks.writeEnd(reason: "stop", into: &buffer)
        return Response(status: .ok, headers: SSEStream.headers, body: .init(byteBuffer: buffer))
    }

    private static func completion(
        content: String, question: String, id: String, finishReason: String, citations: [Citation]?
    ) throws -> Response {
        let usage = ChatCompletionUsage(question: question)
        usage.count(content)
        var object: [String: JSONValue] = [
            "id": .string(id),
            "object": .string("chat.completion"),
            "created": .number(Double(now)),
            "model": .string(model),
            "choices": .array([
                .object([
                    "index": .number(0),
                    "message": .object(["role": .string("assistant"), "content": .string(content), "refusal": .null]),
                    "finish_reason": .string(finishReason),
                    "logprobs": .null,
                ])
            ]),
            "usage": usage.json,
        ]
        // The passages the answer's [n] markers point to: an extension OpenAI clients keep.
        if let citations { object["citations"] = try json(citations) }
        return try JSONResponse.make(JSONValue.object(object))
    }

    private static var now: Int { Int(Date().timeIntervalSince1970) }

    /// Citations as they are in `/v1/ask` answers (the same encoder), as a JSON value.
    private static func json(_ citations: [Citation]) throws -> JSONValue {
        try JSONValue.parse(JSONCoding.data(citations)) ?? .array([])
    }

    // MARK: - Errors

    static func unknownModel(_ name: String) -> APIError {
        APIError(
            .notFound, "model_not_found", "The model '\(name)' does not exist; this server has '\(model)'.",
            extra: ["type": .string("invalid_request_error"), "param": .string("model")])
    }
}

extension APIError {
    /// OpenAI's error shape: the contract's error object already has `code` and `message`;
    /// OpenAI's clients also read `type` (and `param`).
    var openAIShaped: APIError {
        var error = self
        if error.extra["type"] == nil {
            error.extra["type"] = .string(status.code >= 500 ? "server_error" : "invalid_request_error")
        }
        if error.extra["param"] == nil { error.extra["param"] = .null }
        return error
    }
}
