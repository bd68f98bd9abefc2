import Foundation
import Testing

@testable import RAGCore

@Suite("Jobs and their store")
struct JobStoreTests {
    @Test("finished jobs beyond the memory bound are forgotten, oldest first, before their TTL")
    func retainedBytesBound() throws {
        let store = JobStore(settings: .init(ttl: .seconds(300), maxRetainedBytes: 100_000))
        var ids: [String] = []
        for n in 0..<10 {
            let job = store.create(question: "q\(n)", topK: 5, origin: .api)
            for _ in 0..<100 { _ = job.emitToken(String(repeating: "x", count: 90)) }
            job.finish(.done, reason: .stop, kind: .done, payload: Array(#"{"answer":""}"#.utf8))
            ids.append(job.id)
        }
        store.sweep()
        let kept = ids.filter { store.job($0) != nil }
        #expect(kept.count >= 3 && kept.count < 10)
        // The newest survive; the oldest went first.
        #expect(kept == Array(ids.suffix(kept.count)))
    }

    /// A stream job whose only reader came and left.
    private func abandonedJob() -> Job {
        let store = JobStore(settings: .init(resumeGrace: .milliseconds(100)))
        let job = store.create(question: "q", topK: 5, origin: .stream)
        let signal = StreamSignal()
        job.attach(signal)
        job.detach(signal)
        return job
    }

    @Test("a stream job nobody reads is cancelled by its own timer after the grace period (nothing sweeps here)")
    func orphanTimerCancels() async throws {
        let job = abandonedJob()
        await job.waitUntilFinished(timeout: .seconds(30))
        #expect(job.status == .cancelled)
    }

    @Test("a reader that comes back within the grace period keeps the job alive")
    func readerReturns() async throws {
        let job = abandonedJob()
        job.attach(StreamSignal())
        try await Task.sleep(for: .milliseconds(300))
        #expect(job.status == .queued)
    }

    @Test("job ids are twelve lowercase hex digits and distinct")
    func jobIDs() {
        let store = JobStore(settings: .init())
        let ids = (0..<1000).map { _ in store.create(question: "q", topK: 5, origin: .api).id }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.utf8.count == 12 && $0.allSatisfy { "0123456789abcdef".contains($0) } })
    }

    @Test("the hand-built searching and token payloads are the JSON an encoder would write")
    func handBuiltPayloads() throws {
        let query = "say \"hi\"\\ \n\t\u{1}中文 </script>"
        let searching = try JSONSerialization.jsonObject(with: Data(EventPayload.searching(query))) as? [String: String]
        #expect(searching == ["stage": "searching", "message": "searching", "query": query])
        let token = try JSONSerialization.jsonObject(with: Data(EventPayload.token(query))) as? [String: String]
        #expect(token == ["text": query])
    }
}
