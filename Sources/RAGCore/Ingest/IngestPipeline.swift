import Foundation
import Synchronization

/// Parsers and one writer on threads of their own, joined by a bounded queue.
///
/// Parsing is CPU-bound and the writer is serial: with both on Swift's cooperative pool
/// (two threads here), the task feeding the writer waited behind parse tasks and the
/// writer sat idle. On plain threads the operating system keeps all of them running, and
/// the queue's bound keeps parsed documents from piling up when the writer is slower.
final class IngestPipeline<Item: Sendable, Result: Sendable>: Sendable {
    private let items: [Item]
    private let workers: Int
    private let next = Atomic<Int>(0)
    private let queue: BoundedQueue<Result>

    init(items: [Item], workers: Int, capacity: Int) {
        self.items = items
        self.workers = max(1, workers)
        self.queue = BoundedQueue(capacity: capacity)
    }

    /// Runs `produce` on every item across the workers, and `consume` on the results, in
    /// completion order, on one thread: each call gets every result waiting at that moment
    /// (at least one, at most `maxBatch`). A `consume` that throws stops the producers.
    func run(
        maxBatch: Int,
        produce: @escaping @Sendable (Item) -> Result,
        consume: @escaping @Sendable ([Result]) throws -> Void
    ) async throws {
        let finishedWorkers = Atomic<Int>(0)
        for _ in 0..<workers {
            Thread.detachNewThread { [self] in
                Self.lowerThreadPriority()
                while true {
                    let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard index < items.count, queue.push(produce(items[index])) else { break }
                }
                if finishedWorkers.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue == workers { queue.close() }
            }
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread { [self] in
                do {
                    while let batch = queue.popAvailable(max: maxBatch) { try consume(batch) }
                    continuation.resume()
                } catch {
                    queue.cancel()
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

extension IngestPipeline {
    /// How much lower than the writer the producers run (a nice increment).
    ///
    /// With more threads than cores, equal priorities let the writer fall a full queue
    /// behind, and it then wrote those documents alone after the last parse: about 0.1 s
    /// of a 1.6 s python3-doc ingest with one core idle. Preferred, it keeps the queue
    /// short (batches still form while it writes) and ends with the producers.
    static var producerNice: Int32 { 5 }

    /// Lowers the calling thread's priority only: on Linux the nice value is per thread.
    private static func lowerThreadPriority() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, producerNice)
        #endif
    }
}

/// A blocking first-in first-out queue with a bound on its length.
final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var elements: [Element] = []
    private var head = 0
    private var closed = false
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Waits for room, then appends. `false` if the queue was cancelled.
    func push(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while elements.count - head >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        elements.append(element)
        condition.broadcast()
        return true
    }

    /// Waits for at least one element, then takes all that are there (up to `max`); `nil`
    /// once the queue is closed and drained, or cancelled.
    func popAvailable(max: Int) -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        while head == elements.count && !closed && !cancelled { condition.wait() }
        guard !cancelled, head < elements.count else { return nil }
        let end = Swift.min(elements.count, head + max)
        let taken = Array(elements[head..<end])
        head = end
        if head == elements.count {
            elements.removeAll(keepingCapacity: true)
            head = 0
        }
        condition.broadcast()
        return taken
    }

    /// No more elements will be pushed.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Stops everyone: pushes fail, pops return `nil`.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
