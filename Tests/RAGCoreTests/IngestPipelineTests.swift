import Foundation
import Synchronization
import Testing

@testable import RAGCore

#if canImport(Glibc)
import Glibc
#endif

@Suite("The ingest pipeline")
struct IngestPipelineTests {
    @Test("Every item is consumed once, and producers run below the consumer's priority")
    func priorities() async throws {
        let pipeline = IngestPipeline<Int, (item: Int, nice: Int32)>(
            items: Array(0..<200), workers: 2, capacity: 8, weight: { _ in 1 })
        let seen = Mutex<(items: [Int], producerNice: Set<Int32>, consumerNice: Set<Int32>)>(([], [], []))
        try await pipeline.run(batch: 4) { item in
            (item, getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
        } consume: { batch in
            let own = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
            seen.withLock { seen in
                seen.items += batch.map(\.item)
                seen.producerNice.formUnion(batch.map(\.nice))
                seen.consumerNice.insert(own)
            }
        }
        let result = seen.withLock { $0 }
        #expect(result.items.sorted() == Array(0..<200))
        let consumer = try #require(result.consumerNice.first)
        #expect(result.consumerNice.count == 1)
        #expect(result.producerNice == [min(19, consumer + IngestPipeline<Int, Int>.producerNice)])
    }

    @Test("The consumer gets batches of the wanted weight, and smaller ones only towards the end")
    func batches() async throws {
        let pipeline = IngestPipeline<Int, Int>(items: Array(0..<400), workers: 2, capacity: 20, weight: { _ in 1 })
        let batches = Mutex<[[Int]]>([])
        try await pipeline.run(batch: 10) { $0 } consume: { batch in batches.withLock { $0.append(batch) } }
        let all = batches.withLock { $0 }
        let sizes = all.map(\.count)
        #expect(all.flatMap { $0 }.sorted() == Array(0..<400))
        // While more than four batches' weight is still to come, every batch weighs at least 10.
        var remaining = 400
        for size in sizes where remaining / 4 >= 10 {
            #expect(size >= 10 && size <= 20)
            remaining -= size
        }
        #expect(sizes.allSatisfy { $0 <= 20 })
    }

    @Test("An item heavier than the whole queue still goes through, alone")
    func heavyItem() async throws {
        let weights = [1, 1, 50, 1, 1, 1, 70, 1]
        let pipeline = IngestPipeline<Int, Int>(
            items: Array(weights.indices), workers: 2, capacity: 10, weight: { weights[$0] })
        let seen = Mutex<[[Int]]>([])
        try await pipeline.run(batch: 5) { $0 } consume: { batch in seen.withLock { $0.append(batch) } }
        let batches = seen.withLock { $0 }
        #expect(batches.flatMap { $0 }.sorted() == Array(weights.indices))
        // A heavy item enters only an empty queue, and nothing joins it there.
        #expect(batches.filter { $0.contains(2) } == [[2]])
        #expect(batches.filter { $0.contains(6) } == [[6]])
    }

    @Test("The finale runs once, between two batches, while the last items are still being produced")
    func finale() async throws {
        // The finale is due once at most 10 items are unstarted; the last 5 items wait for it.
        let pipeline = IngestPipeline<Int, Int>(items: Array(0..<100), workers: 2, capacity: 1000, weight: { _ in 1 })
        let finaleRan = DispatchSemaphore(value: 0)
        let consumed = Mutex<[Int]>([])
        let due = Mutex<[(consumed: Int, unstarted: Int, counted: Int)]>([])
        let runs = Atomic(0)
        let waitedFor = Mutex<[Int]>([])
        let finale = IngestPipeline<Int, Int>.Finale(
            when: { consumedWeight, unstarted in
                guard unstarted <= 10 else { return false }
                due.withLock { $0.append((consumedWeight, unstarted, consumed.withLock { $0.count })) }
                return true
            },
            work: {
                runs.add(1, ordering: .relaxed)
                for _ in 0..<5 { finaleRan.signal() }
            })
        try await pipeline.run(batch: 5, finale: finale) { item in
            if item >= 95, finaleRan.wait(timeout: .now() + 30) == .success {
                waitedFor.withLock { $0.append(item) }
            }
            return item
        } consume: { batch in consumed.withLock { $0 += batch } }

        #expect(consumed.withLock { $0 }.sorted() == Array(0..<100))
        let runCount = runs.load(ordering: .relaxed)
        #expect(runCount == 1)
        let firings = due.withLock { $0 }
        try #require(firings.count == 1)
        // The pipeline passed the weight consumed, and an unstarted weight consistent with it.
        #expect(firings[0].consumed == firings[0].counted)
        #expect(firings[0].consumed <= 100 - firings[0].unstarted)
        // The last items were produced after it: it overlapped them instead of following them.
        #expect(waitedFor.withLock { $0 }.sorted() == Array(95..<100))
    }

    @Test("No finale runs while its condition never holds, and the items are all consumed")
    func finaleNeverDue() async throws {
        let pipeline = IngestPipeline<Int, Int>(items: Array(0..<50), workers: 2, capacity: 10, weight: { _ in 1 })
        let ran = Atomic(false)
        let total = Atomic(0)
        let finale = IngestPipeline<Int, Int>.Finale { _, _ in false } work: { ran.store(true, ordering: .relaxed) }
        try await pipeline.run(batch: 5, finale: finale) { $0 } consume: { batch in
            total.add(batch.count, ordering: .relaxed)
        }
        let finaleRan = ran.load(ordering: .relaxed)
        let consumed = total.load(ordering: .relaxed)
        #expect(!finaleRan)
        #expect(consumed == 50)
    }

    @Test("A slow producer does not hold results back longer than the consumer's patience")
    func patience() async throws {
        // Five items' weight is wanted; one comes every 50 ms and patience is 50 ms.
        let pipeline = IngestPipeline<Int, Int>(items: Array(0..<20), workers: 1, capacity: 1000, weight: { _ in 1 })
        let sizes = Mutex<[Int]>([])
        try await pipeline.run(batch: 5, patience: 0.05) { item in
            Thread.sleep(forTimeInterval: 0.05)
            return item
        } consume: { batch in sizes.withLock { $0.append(batch.count) } }
        let counts = sizes.withLock { $0 }
        #expect(counts.reduce(0, +) == 20)
        #expect(counts.first! < 5)
    }
}
