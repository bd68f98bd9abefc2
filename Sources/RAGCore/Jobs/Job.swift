import Foundation
import Synchronization

/// Where a job is in its life.
public enum JobStatus: String, Codable, Sendable {
    case queued
    case running
    case paused
    case done
    case failed
    case cancelled

    public var isFinished: Bool { self == .done || self == .failed || self == .cancelled }
}

/// Why a control request cannot be applied.
public enum JobControlError: Error, Sendable {
    case finished(JobStatus)
}

/// One ask: its question, its event log, its status and the task that generates it.
///
/// Every reader (an SSE stream, a WebSocket) reads the same log from its own offset, so a
/// reconnecting client gets exactly the events it missed and nothing is generated twice.
public final class Job: Sendable {
    /// Whether a job lives for a connection (cancelled when nobody has read it for the
    /// grace period) or was created through the job API (runs whether read or not).
    public enum Origin: Sendable {
        /// An SSE or WebSocket stream: resumable, so a reader that leaves has the resume grace.
        case stream
        /// A stream that cannot be resumed (OpenAI chunks carry no ids): no grace.
        case unresumableStream
        case api
    }

    public let id: String
    public let question: String
    public let topK: Int
    public let origin: Origin
    public let created: ContinuousClock.Instant
    /// A stream job nobody reads for this long is cancelled (`nil`: never).
    let resumeGrace: Duration?

    private struct State {
        var status: JobStatus = .queued
        var log: EventLog
        var answer = ""
        var finishReason: FinishReason?
        var signals: [ObjectIdentifier: StreamSignal] = [:]
        var orphanedSince: ContinuousClock.Instant?
        var finishedAt: ContinuousClock.Instant?
        var resumeWaiter: CheckedContinuation<Void, Never>?
        /// Cancels the task that generates (the pipeline's, or a waiting JSON caller's).
        var cancelGeneration: (@Sendable () -> Void)?
        var cancelRequested = false
        var orphanTimer: Task<Void, Never>?
    }

    private let state: Mutex<State>

    public init(
        id: String, question: String, topK: Int, origin: Origin, limits: JobLimits, resumeGrace: Duration? = nil
    ) {
        self.id = id
        self.question = question
        self.topK = topK
        self.origin = origin
        self.created = .now
        self.resumeGrace = resumeGrace
        self.state = Mutex(State(log: EventLog(maxEvents: limits.maxEvents, maxBytes: limits.maxBytes)))
    }

    // MARK: - Reading

    public var status: JobStatus { state.withLock { $0.status } }
    public var answer: String { state.withLock { $0.answer } }
    public var finishReason: FinishReason? { state.withLock { $0.finishReason } }
    public var lastSeq: Int { state.withLock { $0.log.lastSeq } }
    public var finishedAt: ContinuousClock.Instant? { state.withLock { $0.finishedAt } }
    /// Memory held by the event log, for the store's bound on finished jobs.
    var retainedBytes: Int {
        // The log, the answer, and about a kilobyte for the job itself.
        state.withLock { $0.log.retainedBytes + $0.answer.utf8.count + question.utf8.count + 1024 }
    }

    /// A snapshot for `GET /v1/jobs/{id}`.
    public var snapshot: (status: JobStatus, answer: String, events: Int, finishReason: FinishReason?) {
        state.withLock { ($0.status, $0.answer, $0.log.lastSeq, $0.finishReason) }
    }

    /// Events after `seq`, handed to `body` as (seq, kind, payload) without copying, and
    /// whether the job has finished (no event will follow the last one).
    public func read(after seq: Int, maxEvents: Int = .max, _ body: (Int, EventKind, ArraySlice<UInt8>) -> Void) -> (last: Int, finished: Bool) {
        state.withLock { state in
            let available = state.log.lastSeq - seq
            let last = available > maxEvents ? seq + maxEvents : state.log.lastSeq
            if seq < last {
                for n in (seq + 1)...last {
                    let event = state.log.event(n)
                    body(n, event.kind, state.log.storage[event.payload])
                }
            }
            return (max(seq, last), state.status.isFinished && last == state.log.lastSeq)
        }
    }

    /// Registers a reader: `signal` fires when events arrive. Pair with ``detach(_:)``.
    public func attach(_ signal: StreamSignal) {
        let timer = state.withLock { state -> Task<Void, Never>? in
            state.signals[ObjectIdentifier(signal)] = signal
            state.orphanedSince = nil
            defer { state.orphanTimer = nil }
            return state.orphanTimer
        }
        timer?.cancel()
    }

    /// Unregisters a reader. When the last one of a live stream job leaves, a timer cancels
    /// the job after the resume grace unless a reader comes back: the generation stops
    /// within the grace period, not at the next periodic sweep.
    public func detach(_ signal: StreamSignal) {
        let orphaned = state.withLock { state -> Bool in
            guard state.signals.removeValue(forKey: ObjectIdentifier(signal)) != nil else { return false }
            guard state.signals.isEmpty else { return false }
            state.orphanedSince = .now
            return !state.status.isFinished
        }
        guard orphaned, let grace = resumeGrace else { return }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: grace)
            guard !Task.isCancelled, let self else { return }
            self.cancelIfOrphaned()
        }
        let previous = state.withLock { state -> Task<Void, Never>? in
            defer { state.orphanTimer = timer }
            return state.orphanTimer
        }
        previous?.cancel()
    }

    /// Cancels the job if nobody has read it for its resume grace.
    private func cancelIfOrphaned() {
        guard let grace = resumeGrace else { return }
        let expired = state.withLock { state in
            guard !state.status.isFinished, state.signals.isEmpty, let since = state.orphanedSince else { return false }
            return ContinuousClock.now - since >= grace
        }
        if expired { try? cancel() }
    }

    /// Returns once the job has finished, or after `timeout`.
    public func waitUntilFinished(timeout: Duration) async {
        let end = ContinuousClock.now + timeout
        while !status.isFinished, ContinuousClock.now < end {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    // MARK: - Producing

    /// Appends an event and wakes the readers. Returns `false` if the log is full.
    @discardableResult
    func emit(_ kind: EventKind, _ payload: [UInt8], final: Bool = false) -> Bool {
        let signals: [StreamSignal]? = state.withLock { state in
            guard !state.status.isFinished || final, state.log.hasRoom(for: payload.count, final: final) else {
                return nil
            }
            state.log.append(kind, payload)
            return Array(state.signals.values)
        }
        guard let signals else { return false }
        for signal in signals { signal.fire(.events) }
        return true
    }

    /// Appends a token's text to the answer and emits its event. `false` if the log is full.
    func emitToken(_ text: String) -> Bool {
        let payload = EventPayload.token(text)
        let signals: [StreamSignal]? = state.withLock { state in
            guard !state.status.isFinished, state.log.hasRoom(for: payload.count) else { return nil }
            state.log.append(.token, payload)
            state.answer += text
            return Array(state.signals.values)
        }
        guard let signals else { return false }
        for signal in signals { signal.fire(.events) }
        return true
    }

    /// Ends the job with its final event (`done` or `error`); later events are refused.
    func finish(_ status: JobStatus, reason: FinishReason?, kind: EventKind, payload: [UInt8]) {
        let ended = state.withLock { state -> (signals: [StreamSignal], timer: Task<Void, Never>?)? in
            guard !state.status.isFinished else { return nil }
            state.log.append(kind, payload)
            state.status = status
            state.finishReason = reason
            state.finishedAt = .now
            state.cancelGeneration = nil
            state.log.compact()
            defer { state.orphanTimer = nil }
            return (Array(state.signals.values), state.orphanTimer)
        }
        guard let ended else { return }
        ended.timer?.cancel()
        for signal in ended.signals { signal.fire(.events) }
    }

    func markRunning() {
        state.withLock { state in
            if state.status == .queued { state.status = .running }
        }
    }

    /// The task generating this job: ``cancel()`` cancels it at once.
    func setTask<Success>(_ task: Task<Success, Never>) {
        let cancelNow = state.withLock { state -> Bool in
            state.cancelGeneration = { task.cancel() }
            return state.cancelRequested
        }
        if cancelNow { task.cancel() }
    }

    /// Suspends the generator while the job is paused; costs nothing while it waits.
    func waitWhilePaused() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.status == .paused && !state.cancelRequested {
                        state.resumeWaiter = continuation
                        return false
                    }
                    return true
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.resumeWaiter = nil }
                return state.resumeWaiter
            }
            waiter?.resume()
        }
    }

    var isCancelRequested: Bool { state.withLock { $0.cancelRequested } }

    // MARK: - Control

    /// Pauses generation; idempotent on a live job.
    public func pause() throws(JobControlError) -> JobStatus {
        let changed = try state.withLock { state throws(JobControlError) -> Bool in
            if state.status.isFinished { throw .finished(state.status) }
            if state.status == .paused { return false }
            state.status = .paused
            return true
        }
        if changed { emit(.progress, EventPayload.stage("paused")) }
        return .paused
    }

    /// Resumes generation where it stopped; idempotent on a live job.
    public func resume() throws(JobControlError) -> JobStatus {
        let (changed, waiter) = try state.withLock { state throws(JobControlError) -> (Bool, CheckedContinuation<Void, Never>?) in
            if state.status.isFinished { throw .finished(state.status) }
            guard state.status == .paused else { return (false, nil) }
            state.status = .running
            defer { state.resumeWaiter = nil }
            return (true, state.resumeWaiter)
        }
        if changed { emit(.progress, EventPayload.stage("resumed")) }
        waiter?.resume()
        return .running
    }

    /// Cancels generation; the job ends with `done` and `finish_reason` `cancelled`.
    public func cancel() throws(JobControlError) {
        let cancelGeneration = try state.withLock { state throws(JobControlError) -> (@Sendable () -> Void)? in
            if state.status.isFinished { throw .finished(state.status) }
            state.cancelRequested = true
            return state.cancelGeneration
        }
        if let cancelGeneration {
            cancelGeneration()
        } else {
            // Nothing is generating (not started yet): end it here.
            finish(
                .cancelled, reason: .cancelled, kind: .done,
                payload: EventPayload.done(answer: answer, citations: [], finishReason: .cancelled, timings: .zero))
        }
    }

    /// Ends a live job with an `error` event (server shutdown, failures).
    public func fail(code: String, message: String) {
        let cancelGeneration = state.withLock { state -> (@Sendable () -> Void)? in
            state.cancelRequested = true
            return state.cancelGeneration
        }
        finish(.failed, reason: .error, kind: .error, payload: EventPayload.error(code: code, message: message))
        cancelGeneration?()
    }
}

/// Bounds of one job's event log.
public struct JobLimits: Sendable {
    public var maxEvents: Int
    public var maxBytes: Int

    public init(maxEvents: Int = 20_000, maxBytes: Int = 4 << 20) {
        self.maxEvents = maxEvents
        self.maxBytes = maxBytes
    }
}
