/// The kinds of events a job emits; the SSE `event:` field and the WebSocket `type`.
public enum EventKind: UInt8, Sendable {
    case progress
    case token
    case done
    case error

    public var name: String {
        switch self {
        case .progress: "progress"
        case .token: "token"
        case .done: "done"
        case .error: "error"
        }
    }
}

/// A job's durable events, in order, numbered from 1. Readers attach at any offset.
///
/// The payloads (one line of JSON each) live in one contiguous buffer: a thousand
/// streamed answers cost a few kilobytes each, not a few hundred small allocations.
/// Bounded in events and bytes; the job stops producing when it is full.
struct EventLog: Sendable {
    private(set) var storage: [UInt8] = []
    private var ends: [UInt32] = []
    private var kinds: [EventKind] = []
    let maxEvents: Int
    let maxBytes: Int

    init(maxEvents: Int, maxBytes: Int) {
        self.maxEvents = maxEvents
        self.maxBytes = maxBytes
    }

    /// Bytes held, roughly: payloads and the per-event index.
    var retainedBytes: Int { storage.capacity + ends.capacity * 4 + kinds.capacity }

    /// The sequence number of the last event, 0 when empty.
    var lastSeq: Int { kinds.count }

    /// Whether one more event of `size` bytes fits, keeping room for the final event.
    func hasRoom(for size: Int, final: Bool = false) -> Bool {
        let reserve = final ? 0 : 1
        let byteReserve = final ? 0 : 4096
        return kinds.count + 1 + reserve <= maxEvents && storage.count + size + byteReserve <= maxBytes
    }

    mutating func append(_ kind: EventKind, _ payload: some Collection<UInt8>) {
        storage.append(contentsOf: payload)
        ends.append(UInt32(storage.count))
        kinds.append(kind)
    }

    /// Event `seq` (from 1): its kind and the range of its payload in `storage`.
    func event(_ seq: Int) -> (kind: EventKind, payload: Range<Int>) {
        let start = seq == 1 ? 0 : Int(ends[seq - 2])
        return (kinds[seq - 1], start..<Int(ends[seq - 1]))
    }

    /// Memory is reclaimed once a job stops growing.
    mutating func compact() {
        // Copying from a slice allocates exactly what is used.
        storage = Array(storage[...])
        ends = Array(ends[...])
        kinds = Array(kinds[...])
    }
}
