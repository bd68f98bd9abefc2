import Synchronization

/// Wakes one waiting stream writer: a job produced events, the client left, the server
/// is shutting down, or it is time for a heartbeat.
///
/// A signal that fires while nobody waits is kept (the strongest reason wins), so a
/// writer never misses a wake-up between checking for events and waiting. A writer that
/// is not a task (a channel handler) passes `onFire` instead, and is called on each fire.
public final class StreamSignal: Sendable {
    public enum Reason: Int, Sendable, Comparable {
        case heartbeat = 0
        case events = 1
        case closed = 2
        case shutdown = 3

        public static func < (a: Reason, b: Reason) -> Bool { a.rawValue < b.rawValue }
    }

    private struct State {
        var pending: Reason?
        var waiter: CheckedContinuation<Reason, Never>?
    }

    private let state = Mutex(State())
    private let onFire: (@Sendable (Reason) -> Void)?

    public init() {
        onFire = nil
    }

    /// A signal that calls `onFire` (on the firing thread) instead of waking ``wait()``.
    public init(onFire: @escaping @Sendable (Reason) -> Void) {
        self.onFire = onFire
    }

    public func fire(_ reason: Reason) {
        if let onFire { return onFire(reason) }
        let waiter: CheckedContinuation<Reason, Never>? = state.withLock { state in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = max(state.pending ?? reason, reason)
            return nil
        }
        waiter?.resume(returning: reason)
    }

    /// Returns the pending reason at once, or waits for the next one.
    public func wait() async -> Reason {
        if let pending = state.withLock({ state -> Reason? in
            defer { state.pending = nil }
            return state.pending
        }) {
            return pending
        }
        return await withCheckedContinuation { continuation in
            let ready: Reason? = state.withLock { state in
                if let pending = state.pending {
                    state.pending = nil
                    return pending
                }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
