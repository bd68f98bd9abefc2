import Dispatch
import NIOCore
import RAGCore
import Synchronization

/// Every open stream (SSE response or WebSocket), for the limit on concurrent streams,
/// the heartbeat, the send timeout and shutdown.
///
/// One ticker visits all streams about once a second, instead of a timer per stream.
final class StreamRegistry: Sendable {
    /// One open stream.
    final class Entry: Sendable {
        let signal: StreamSignal
        let channel: any Channel
        /// Uptime in nanoseconds of the last completed write.
        let lastWrite = Atomic<UInt64>(0)
        /// Uptime in nanoseconds at which the pending write started; 0 when none is pending.
        let writeStarted = Atomic<UInt64>(0)

        init(signal: StreamSignal, channel: any Channel) {
            self.signal = signal
            self.channel = channel
            lastWrite.store(Self.now, ordering: .relaxed)
        }

        static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

        func beginWrite() { writeStarted.store(Self.now, ordering: .relaxed) }

        func endWrite() {
            let now = Self.now
            writeStarted.store(0, ordering: .relaxed)
            lastWrite.store(now, ordering: .relaxed)
        }
    }

    /// A place among the streams, taken before the response head is sent.
    final class Slot: Sendable {
        let registry: StreamRegistry
        init(registry: StreamRegistry) { self.registry = registry }
        deinit { registry.release() }
    }

    /// The kernel's send buffer for a stream's socket (SO_SNDBUF; Linux doubles it).
    ///
    /// Left to itself, Linux grows a socket's send buffer up to 4 MiB (`tcp_wmem`), which
    /// a slow reader never drains: an export read 100 bytes at a time had 2 MiB queued
    /// in the kernel after 8 seconds, and the server had read 10 MiB of the index to
    /// produce it. Backpressure only starts once that buffer is full, so it bounds what
    /// the server reads ahead of a slow client, and how long a frozen one takes to notice.
    static let socketSendBuffer: SocketOptionValue = 128 * 1024

    let maxStreams: Int
    let heartbeat: Duration
    let sendTimeout: Duration
    private let slots = Atomic<Int>(0)
    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])

    init(maxStreams: Int, heartbeat: Duration, sendTimeout: Duration) {
        self.maxStreams = maxStreams
        self.heartbeat = heartbeat
        self.sendTimeout = sendTimeout
    }

    /// Open streams.
    var count: Int { slots.load(ordering: .relaxed) }

    /// Whether `--max-streams` are open.
    var isFull: Bool { count >= maxStreams }

    /// Takes a slot, or `nil` when `--max-streams` are already open.
    func reserve() -> Slot? {
        let taken = slots.wrappingAdd(1, ordering: .relaxed).newValue
        if taken > maxStreams {
            slots.wrappingSubtract(1, ordering: .relaxed)
            return nil
        }
        return Slot(registry: self)
    }

    fileprivate func release() {
        slots.wrappingSubtract(1, ordering: .relaxed)
    }

    func register(signal: StreamSignal, channel: any Channel) -> Entry {
        let entry = Entry(signal: signal, channel: channel)
        entries.withLock { $0[ObjectIdentifier(entry)] = entry }
        return entry
    }

    func unregister(_ entry: Entry) {
        _ = entries.withLock { $0.removeValue(forKey: ObjectIdentifier(entry)) }
    }

    /// Drops streams whose write has waited past the send timeout (a frozen reader) and
    /// wakes idle ones for a heartbeat.
    func tick() {
        let now = Entry.now
        let timeout = Self.nanoseconds(sendTimeout)
        let idle = Self.nanoseconds(heartbeat)
        // Writers stamp their entries on other threads: a stamp can be later than `now`,
        // hence the `>` guards before subtracting unsigned times.
        for entry in entries.withLock({ Array($0.values) }) {
            let started = entry.writeStarted.load(ordering: .relaxed)
            if started != 0 {
                if now > started && now - started > timeout {
                    entry.channel.close(promise: nil)
                    entry.signal.fire(.closed)
                }
            } else {
                let last = entry.lastWrite.load(ordering: .relaxed)
                if now > last && now - last >= idle { entry.signal.fire(.heartbeat) }
            }
        }
    }

    private static func nanoseconds(_ duration: Duration) -> UInt64 {
        UInt64(duration.components.seconds) * 1_000_000_000 + UInt64(duration.components.attoseconds / 1_000_000_000)
    }

    /// Wakes every stream to notice shutdown; returns once they are gone or `deadline` passed,
    /// closing whatever is left.
    func shutDown(deadline: Duration) async {
        for entry in entries.withLock({ Array($0.values) }) { entry.signal.fire(.shutdown) }
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end, entries.withLock({ !$0.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for entry in entries.withLock({ Array($0.values) }) {
            entry.channel.close(promise: nil)
            entry.signal.fire(.closed)
        }
    }
}
