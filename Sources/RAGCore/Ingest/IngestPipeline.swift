import Foundation
import Synchronization

/// Parsers and one writer on threads of their own, joined by a bounded queue.
///
/// Parsing is CPU-bound and the writer is serial: with both on Swift's cooperative pool
/// (two threads here), the task feeding the writer waited behind parse tasks and the
/// writer sat idle. On plain threads the operating system keeps all of them running, and
/// the queue's bound keeps parsed documents from piling up when the writer is slower.
///
/// Every item has a weight (for an ingest, its file's size): the queue holds at most
/// `capacity` of it, and the writer takes results in batches of about `batch` of it.
final class IngestPipeline<Item: Sendable, Result: Sendable>: Sendable {
    private let items: [Item]
    private let weight: @Sendable (Item) -> Int
    private let workers: Int
    private let next = Atomic<Int>(0)
    /// `unstarted[i]`: the weight of the items from `i` on.
    private let unstarted: [Int]
    private let queue: BoundedQueue<Result>

    /// Work the writer's thread does once, between two `consume`s, as soon as `when` holds:
    /// serial work that should overlap the last `produce`s instead of following them.
    struct Finale: Sendable {
        /// Whether it is time, given the weight consumed so far and the weight of the items
        /// no producer has started yet.
        var when: @Sendable (_ consumed: Int, _ unstarted: Int) -> Bool
        var work: @Sendable () throws -> Void
    }

    init(items: [Item], workers: Int, capacity: Int, weight: @escaping @Sendable (Item) -> Int) {
        self.items = items
        self.weight = weight
        var unstarted = [Int](repeating: 0, count: items.count + 1)
        for index in items.indices.reversed() { unstarted[index] = unstarted[index + 1] + weight(items[index]) }
        self.unstarted = unstarted
        self.workers = max(1, workers)
        self.queue = BoundedQueue(capacity: capacity)
    }

    /// Runs `produce` on every item across the workers, and `consume` on the results, in
    /// completion order, on one thread.
    ///
    /// Each `consume` gets the results waiting at that moment, once they weigh `batch`,
    /// the queue is full, or `patience` seconds after the first of them was there to take
    /// (so that progress shows and a crash loses little). Towards the end it waits for
    /// less, a quarter of what is still to come, so that the last call, the one after the
    /// last `produce`, is short. A `consume` (or the `finale`'s work) that throws stops the
    /// producers.
    func run(
        batch: Int,
        patience: TimeInterval = 0.5,
        finale: Finale? = nil,
        produce: @escaping @Sendable (Item) -> Result,
        consume: @escaping @Sendable ([Result]) throws -> Void
    ) async throws {
        let finishedWorkers = Atomic<Int>(0)
        for _ in 0..<workers {
            Thread.detachNewThread { [self] in
                Self.lowerThreadPriority()
                while true {
                    let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard index < items.count else { break }
                    let item = items[index]
                    guard queue.push(produce(item), weight: weight(item)) else { break }
                }
                if finishedWorkers.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue == workers { queue.close() }
            }
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread { [self] in
                do {
                    let total = unstarted[0]
                    var remaining = total
                    var finale = finale
                    while let (results, taken) = queue.pop(weighing: min(batch, remaining / 4), patience: patience) {
                        remaining -= taken
                        try consume(results)
                        if let work = finale,
                            work.when(total - remaining, unstarted[min(next.load(ordering: .relaxed), items.count)])
                        {
                            try work.work()
                            finale = nil
                        }
                    }
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

/// A blocking first-in first-out queue with a bound on the total weight of its elements.
final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var elements: [(element: Element, weight: Int)] = []
    private var weight = 0
    private var closed = false
    private var cancelled = false
    /// The weights of the pushes waiting for room: a consumer waiting for more weight
    /// takes what is there when one of them cannot fit.
    private var blockedWeights: [Int] = []
    /// The weight the consumer waits for once the queue is not empty; lighter queues do
    /// not wake it.
    private var consumerWants = Int.max
    private let capacity: Int

    /// `capacity` bounds the weight; one element heavier than that still fits alone.
    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Waits for room, then appends. `false` if the queue was cancelled.
    func push(_ element: Element, weight: Int = 1) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !elements.isEmpty && self.weight + weight > capacity && !cancelled {
            blockedWeights.append(weight)
            if consumerWants != .max { condition.broadcast() }
            condition.wait()
            blockedWeights.remove(at: blockedWeights.firstIndex(of: weight)!)
        }
        guard !cancelled else { return false }
        elements.append((element, weight))
        self.weight += weight
        if elements.count == 1 || self.weight >= consumerWants { condition.broadcast() }
        return true
    }

    /// Waits for an element, then until the elements weigh `wanted`, for at most `patience`
    /// seconds (and not while a push waits for room, nor once the queue is closed); then
    /// takes them all. `nil` once the queue is closed and drained, or cancelled.
    func pop(weighing wanted: Int, patience: TimeInterval) -> (elements: [Element], weight: Int)? {
        condition.lock()
        defer { condition.unlock() }
        while elements.isEmpty && !closed && !cancelled { condition.wait() }
        let deadline = Date(timeIntervalSinceNow: patience)
        consumerWants = wanted
        while weight < wanted && !blockedWeights.contains(where: { weight + $0 > capacity }) && !closed && !cancelled {
            if !condition.wait(until: deadline) { break }
        }
        consumerWants = .max
        guard !cancelled, !elements.isEmpty else { return nil }
        let taken = (elements: elements.map(\.element), weight: weight)
        elements.removeAll(keepingCapacity: true)
        weight = 0
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
