import Foundation
import Logging
import HummingbirdWebSocket
import NIOCore
import RAGCore

/// `GET /v1/ws`: ask, pause, resume and cancel over one connection.
///
/// Client frames are JSON text: `{"type":"ask","question","top_k"?}`, `{"type":"pause"}`,
/// `{"type":"resume"}`, `{"type":"cancel"}`, acting on the connection's current job.
/// Server frames carry the SSE payloads plus `type`, `id` (`<job>:<seq>`) and `job_id`.
/// A bad frame is answered with an error frame and the connection stays open; a closed
/// socket leaves its job readerless, so the resume grace applies.
struct AskSocket: Sendable {
    let state: ServiceState

    func handle(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, logger: Logger) async throws {
        guard let slot = state.registry.reserve() else {
            try await outbound.writeTextMessage(Self.error("overloaded", "Too many open streams; try again shortly."))
            return
        }
        let connection = Connection()
        defer {
            _ = slot
            connection.stopForwarding()
        }
        for try await message in inbound.messages(maxSize: 1 << 20) {
            guard case .text(let text) = message, let frame = JSONValue.parse(Array(text.utf8)), case .object = frame,
                let type = frame["type"]?.stringValue
            else {
                try await outbound.writeTextMessage(
                    Self.error("bad_request", "Frames must be JSON objects with a type: ask, pause, resume or cancel."))
                continue
            }
            switch type {
            case "ask":
                do {
                    guard let question = frame["question"]?.stringValue else {
                        throw APIError.badRequest("question is required and must be a string.")
                    }
                    let question2 = try QuestionRules(state.settings).question(question, field: "question")
                    var k = 5
                    if let value = frame["top_k"] {
                        guard case .number(let n) = value, n == n.rounded() else {
                            throw APIError.badRequest("top_k must be an integer.")
                        }
                        k = try QuestionRules.topK(Int(n), field: "top_k")
                    }
                    let job = state.jobs.create(question: question2, topK: k, origin: .stream)
                    state.pipeline.announce(job)
                    connection.forward(job, to: outbound)
                    state.pipeline.start(job)
                } catch let error as APIError {
                    try await outbound.writeTextMessage(Self.error(error.code, error.message))
                }
            case "pause", "resume", "cancel":
                guard let job = connection.job else {
                    try await outbound.writeTextMessage(Self.error("no_job", "There is no job on this connection; ask first."))
                    continue
                }
                do throws(JobControlError) {
                    switch type {
                    case "pause": _ = try job.pause()
                    case "resume": _ = try job.resume()
                    default: try job.cancel()
                    }
                } catch {
                    guard case .finished(let status) = error else { continue }
                    try await outbound.writeTextMessage(
                        Self.error("conflict", "The job is \(status.rawValue); it can no longer be \(type)d."))
                }
            default:
                try await outbound.writeTextMessage(
                    Self.error("bad_request", "Unknown frame type \"\(type)\"; use ask, pause, resume or cancel."))
            }
        }
    }

    static func error(_ code: String, _ message: String) -> String {
        let body = JSONValue.object(["type": .string("error"), "code": .string(code), "message": .string(message)])
        return (try? JSONCoding.string(body)) ?? "{}"
    }

    /// The connection's current job and the task that forwards its events.
    final class Connection: @unchecked Sendable {
        private let lock = NSLock()
        private var current: (job: Job, task: Task<Void, Never>)?

        var job: Job? { lock.withLock { current?.job } }

        func forward(_ job: Job, to outbound: WebSocketOutboundWriter) {
            let task = Task {
                let signal = StreamSignal()
                job.attach(signal)
                defer { job.detach(signal) }
                var seq = 0
                while !Task.isCancelled {
                    var frames: [String] = []
                    let (last, finished) = job.read(after: seq) { n, kind, payload in
                        frames.append(AskSocket.frame(job: job.id, seq: n, kind: kind, payload: payload))
                    }
                    seq = last
                    do {
                        for frame in frames { try await outbound.writeTextMessage(frame) }
                    } catch {
                        return
                    }
                    if finished { return }
                    if frames.isEmpty {
                        let reason = await withTaskCancellationHandler {
                            await signal.wait()
                        } onCancel: {
                            signal.fire(.closed)
                        }
                        if reason == .closed { return }
                    }
                }
            }
            let previous = lock.withLock { () -> Task<Void, Never>? in
                defer { current = (job, task) }
                return current?.task
            }
            previous?.cancel()
        }

        func stopForwarding() {
            lock.withLock { current?.task }?.cancel()
        }
    }

    /// A job event as a WebSocket frame: its payload with `type`, `id` and `job_id` added.
    static func frame(job: String, seq: Int, kind: EventKind, payload: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 64)
        out.append(contentsOf: "{\"type\":\"\(kind.name)\",\"id\":\"\(job):\(seq)\",\"job_id\":\"\(job)\"".utf8)
        let rest = payload.dropFirst()  // payloads are JSON objects: "{" then members
        if rest.first != UInt8(ascii: "}") { out.append(UInt8(ascii: ",")) }
        out.append(contentsOf: rest)
        return String(decoding: out, as: UTF8.self)
    }
}
