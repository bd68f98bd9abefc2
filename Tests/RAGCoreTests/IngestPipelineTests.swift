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
