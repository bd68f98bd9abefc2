import AsyncHTTPClient
import Foundation
import NIOCore

/// Answers with a language model behind an OpenAI-compatible chat completions API
/// (Ollama, vLLM, llama.cpp server, OpenAI), streaming its tokens as they come.
///
/// The model gets the retrieved passages, numbered, and is told to cite them as `[n]`,
/// the same markers the extractive generator writes. The upstream response is read only
/// as fast as the job pulls pieces, so a paused job stops reading (and TCP stops the
/// model's server); a cancelled job or a reader that left ends the pull, which closes
/// the upstream request.
public struct OpenAIGenerator: Generator {
    /// The API's base URL, up to and including `/v1` (`http://localhost:11434/v1` for Ollama).
    public var baseURL: String
    public var model: String
    /// Sent as `Authorization: Bearer …` when set.
    public var apiKey: String?
    /// How long to wait for the response to start (connecting and the model's first token).
    public var timeout: Duration
    let client: HTTPClient

    public init(baseURL: String, model: String, apiKey: String? = nil, timeout: Duration = .seconds(120), client: HTTPClient = .shared) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
        self.client = client
    }

    public func generate(_ input: GenerationInput) -> AsyncThrowingStream<String, any Error> {
        let upstream = Upstream(request: request(for: input), timeout: timeout, client: client)
        return AsyncThrowingStream { try await upstream.next() }
    }

    /// The chat completion request: instructions, the numbered passages, the question.
    func request(for input: GenerationInput) -> HTTPClientRequest {
        var passages = ""
        for (i, passage) in input.passages.enumerated() {
            let heading = passage.hit.heading.isEmpty ? "" : " — \(passage.hit.heading)"
            passages += "[\(i + 1)] \(passage.hit.title)\(heading)\n\(passage.text)\n\n"
        }
        let body = JSONValue.object([
            "model": .string(model),
            "stream": .bool(true),
            "messages": .array([
                .object(["role": .string("system"), "content": .string(Self.instructions)]),
                .object(["role": .string("user"), "content": .string("Passages:\n\n\(passages)Question: \(input.question)")]),
            ]),
        ])
        var request = HTTPClientRequest(url: baseURL + "/chat/completions")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let apiKey, !apiKey.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        request.body = .bytes(ByteBuffer(bytes: (try? JSONCoding.data(body)) ?? Data()))
        return request
    }

    static let instructions = """
        Answer the question using only the numbered passages. After each statement, cite the \
        passages it comes from with their numbers in square brackets, like [1] or [2][3]. If the \
        passages do not answer the question, say so in one sentence. Answer in the language of \
        the question, briefly.
        """
}

/// Why the model's server could not give an answer.
public struct UpstreamError: Error, CustomStringConvertible {
    public var description: String
}

/// The upstream response, read one SSE line at a time as the job pulls pieces. Used by
/// one consumer at a time (`AsyncThrowingStream(unfolding:)` never overlaps its calls).
private final class Upstream: @unchecked Sendable {
    private let request: HTTPClientRequest
    private let timeout: Duration
    private let client: HTTPClient
    private var body: HTTPClientResponse.Body.AsyncIterator?
    private var pending: [UInt8] = []
    private var finished = false

    init(request: HTTPClientRequest, timeout: Duration, client: HTTPClient) {
        self.request = request
        self.timeout = timeout
        self.client = client
    }

    /// The next piece of the answer, or `nil` at the end.
    func next() async throws -> String? {
        while !finished {
            guard let line = try await nextLine() else {
                finished = true
                break
            }
            // `data: {...}` lines carry the chunks; comments, `event:` and blank lines do not.
            guard line.starts(with: Array("data:".utf8)) else { continue }
            var payload = line.dropFirst(5)
            if payload.first == 0x20 { payload = payload.dropFirst() }
            if payload.elementsEqual("[DONE]".utf8) {
                finished = true
                break
            }
            guard let chunk = JSONValue.parse(payload) else { continue }
            if let error = chunk["error"] {
                throw UpstreamError(description: "the model's server sent an error: \(error["message"]?.stringValue ?? "unknown")")
            }
            if let content = chunk["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue, !content.isEmpty {
                return content
            }
        }
        body = nil  // ends the request if the server kept it open
        return nil
    }

    private func nextLine() async throws -> ArraySlice<UInt8>? {
        if body == nil { try await start() }
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                var line = pending[..<newline]
                if line.last == 0x0D { line = line.dropLast() }
                let result = ArraySlice(Array(line))
                pending.removeSubrange(...newline)
                return result
            }
            guard let chunk = try await body?.next() else {
                if pending.isEmpty { return nil }
                defer { pending.removeAll() }
                return pending[...]
            }
            pending.append(contentsOf: chunk.readableBytesView)
        }
    }

    private func start() async throws {
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(timeout.components.seconds))
        } catch {
            throw UpstreamError(description: "cannot reach the model's server at \(request.url): \(error)")
        }
        guard response.status == .ok else {
            let text = String(buffer: (try? await response.body.collect(upTo: 4096)) ?? ByteBuffer())
            throw UpstreamError(description: "the model's server answered \(response.status.code): \(text.prefix(300))")
        }
        body = response.body.makeAsyncIterator()
    }
}
