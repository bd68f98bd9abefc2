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
        let pipeline = IngestPipeline<Int, (item: Int, nice: Int32)>(items: Array(0..<200), workers: 2, capacity: 8)
        let seen = Mutex<(items: [Int], producerNice: Set<Int32>, consumerNice: Set<Int32>)>(([], [], []))
        try await pipeline.run(maxBatch: 8) { item in
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
}
