import AsyncHTTPClient
import Foundation
import Logging
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
    /// How long to wait for the response to start (connecting, then its head: most servers
    /// send the head at once, and the first token after it).
    public var timeout: Duration
    let client: HTTPClient

    /// The process's client for model servers, never shut down (like `HTTPClient.shared`)
    /// but set up for long streamed answers: `HTTPClient.shared` follows redirects (not
    /// wanted for a POST), keeps at most 8 connections per host (a 9th answer would queue),
    /// and gives up after 90 s without a read, which a paused job's connection can reach
    /// while it reads nothing. Here: no redirects, 64 connections, 10 minutes. A job
    /// paused for longer than that ends with an error when resumed.
    public static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(10), read: .minutes(10))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(
        baseURL: String, model: String, apiKey: String? = nil, timeout: Duration = .seconds(120),
        client: HTTPClient = OpenAIGenerator.client
    ) {
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

/// Why the model's server could not give an answer. The description is what clients see
/// (in the job's `error` event), so it names no URL and quotes nothing the server sent.
public struct UpstreamError: Error, CustomStringConvertible {
    public var description: String
}

/// The upstream response, read one SSE line at a time as the job pulls pieces. Used by
/// one consumer at a time (`AsyncThrowingStream(unfolding:)` never overlaps its calls).
private final class Upstream: @unchecked Sendable {
    /// Longest line accepted from the model's server.
    static let maxLine = 1 << 20

    private let request: HTTPClientRequest
    private let timeout: Duration
    private let client: HTTPClient
    private let logger = Logger(label: "rag.generator")
    private var body: HTTPClientResponse.Body.AsyncIterator?
    private var pending: [UInt8] = []
    private var consumed = 0
    private var started = false
    private var sawEnd = false
    /// The model's own `finish_reason`, when it sent one.
    private var upstreamReason: String?
    private var finished = false
    /// A complete (non-streamed) answer, when the server ignored `stream: true`.
    private var whole: String?

    init(request: HTTPClientRequest, timeout: Duration, client: HTTPClient) {
        self.request = request
        self.timeout = timeout
        self.client = client
    }

    /// The next piece of the answer, or `nil` at the end.
    func next() async throws -> String? {
        if !started {
            started = true
            try await start()
        }
        if let answer = whole {
            whole = nil
            finished = true
            return answer.isEmpty ? nil : answer
        }
        while !finished {
            guard let line = try await nextLine() else {
                finished = true
                // A cut connection is not an answer that ended.
                if !sawEnd { throw UpstreamError(description: "the language model's server ended the answer early") }
                break
            }
            // `data: {...}` lines carry the chunks; comments, `event:` and blank lines do not.
            guard line.starts(with: "data:".utf8) else { continue }
            var payload = line.dropFirst(5)
            if payload.first == 0x20 { payload = payload.dropFirst() }
            if payload.elementsEqual("[DONE]".utf8) {
                sawEnd = true
                finished = true
                break
            }
            guard let chunk = JSONValue.parse(payload) else { continue }
            if let error = chunk["error"], error != .null {
                logger.warning("the language model's server sent an error", metadata: ["error": "\(error)"])
                throw UpstreamError(description: "the language model's server sent an error")
            }
            let choice = chunk["choices"]?.arrayValue?.first
            if let reason = choice?["finish_reason"], reason != .null {
                sawEnd = true
                upstreamReason = reason.stringValue
            }
            if let content = choice?["delta"]?["content"]?.stringValue, !content.isEmpty {
                return content
            }
        }
        body = nil  // ends the request if the server kept it open
        // The model stopped at its token limit: the answer ends with `length`, not `stop`.
        if upstreamReason == "length" {
            upstreamReason = nil
            throw GenerationStopped(reason: .length)
        }
        return nil
    }

    /// The next line, whatever ends it (`\n`, `\r\n` or `\r`, as SSE allows).
    private func nextLine() async throws -> ArraySlice<UInt8>? {
        while true {
            if let end = pending[consumed...].firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) {
                // A `\r` at the end of what has arrived may be the first half of `\r\n`.
                if pending[end] == 0x0D, end + 1 == pending.count, body != nil {
                    try await read()
                    continue
                }
                let line = ArraySlice(pending[consumed..<end])
                consumed = end + 1
                if pending[end] == 0x0D, consumed < pending.count, pending[consumed] == 0x0A { consumed += 1 }
                return line
            }
            if pending.count - consumed > Self.maxLine {
                throw UpstreamError(description: "the language model's server sent a line longer than 1 MiB")
            }
            guard body != nil else {
                guard consumed < pending.count else { return nil }
                defer { consumed = pending.count }
                return ArraySlice(pending[consumed...])
            }
            try await read()
        }
    }

    private func read() async throws {
        let next: ByteBuffer?
        do {
            next = try await body?.next()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            logger.warning("the language model's server broke off the answer", metadata: ["error": "\(error)"])
            throw UpstreamError(description: "the language model's server ended the answer early")
        }
        guard let chunk = next else {
            body = nil
            return
        }
        // Drop what has been consumed before appending, so the buffer holds about one line.
        if consumed > 0 {
            pending.removeFirst(consumed)
            consumed = 0
        }
        pending.append(contentsOf: chunk.readableBytesView)
    }

    private func start() async throws {
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .milliseconds(Int64(timeout / .milliseconds(1))))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            logger.warning(
                "cannot reach the language model's server", metadata: ["url": "\(Self.redacted(request.url))", "error": "\(error)"])
            throw UpstreamError(description: "the language model's server could not be reached")
        }
        guard response.status == .ok else {
            let text = String(buffer: (try? await response.body.collect(upTo: 4096)) ?? ByteBuffer())
            logger.warning(
                "the language model's server refused the request",
                metadata: ["url": "\(Self.redacted(request.url))", "status": "\(response.status.code)", "body": "\(text.prefix(500))"])
            throw UpstreamError(description: "the language model's server answered \(response.status.code)")
        }
        if response.headers.first(name: "content-type")?.lowercased().hasPrefix("application/json") == true {
            // A server that ignored `stream: true` sends one chat.completion instead.
            let json = JSONValue.parse((try await response.body.collect(upTo: 16 << 20)).readableBytesView)
            let message = json?["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue
            guard let message else { throw UpstreamError(description: "the language model's server sent no answer") }
            whole = message
            return
        }
        body = response.body.makeAsyncIterator()
    }

    /// The URL without user and password, for logs.
    private static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "(unparsable URL)" }
        components.user = nil
        components.password = nil
        return components.string ?? "(unparsable URL)"
    }
}
