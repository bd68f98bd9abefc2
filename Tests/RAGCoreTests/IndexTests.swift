import Foundation
import GRDB
import Testing
import RAGTestSupport

@testable import RAGCore

@Suite("The SQLite FTS5 index")
struct IndexTests {
    let folder: TemporaryFolder
    let index: SearchIndex

    init() async throws {
        folder = try TemporaryFolder()
        index = try folder.index()
        let documents = [
            DocumentInput(
                id: "en/streams.md", format: .markdown,
                text: "# Streaming responses\n\nThe server is streaming tokens as they are generated. Backpressure keeps memory flat."),
            DocumentInput(
                id: "en/tcp.txt", format: .text,
                text: "TCP windows\n\nA receive window tells the sender how much it may send. NOT every protocol has one."),
            DocumentInput(
                id: "zh/backpressure.html", format: .html,
                text: "<html><head><title>背压机制</title></head><body><p>背压是指下游处理不过来时让上游放慢速度的机制。</p><p>分词决定了全文检索的效果。</p></body></html>"),
            DocumentInput(
                id: "ja/stream.txt", format: .text, text: "ストリーミング\n\nサーバーはトークンを順番に送信します。"),
        ]
        let parser = DocumentParser()
        for input in documents {
            try await index.writer.write(try parser.parse(input))
        }
    }

    func ids(_ query: String, limit: Int = 10) async throws -> [String] {
        try await index.reader.search(query, limit: limit).map(\.docID)
    }

    @Test("English words are stemmed: streams finds streaming")
    func stemming() async throws {
        #expect(try await ids("streams").first == "en/streams.md")
        #expect(try await ids("windowing").first == "en/tcp.txt")
    }

    @Test("A two-character Chinese word finds its passage, inside a sentence")
    func chineseBigrams() async throws {
        #expect(try await ids("背压") == ["zh/backpressure.html"])
        #expect(try await ids("分词") == ["zh/backpressure.html"])
        #expect(try await ids("全文检索").first == "zh/backpressure.html")
        #expect(try await ids("什么是背压？").first == "zh/backpressure.html")
        // A single character is searchable too.
        #expect(try await ids("压") == ["zh/backpressure.html"])
        #expect(try await ids("トークン") == ["ja/stream.txt"])
    }

    @Test("Rare terms select the candidates; common words still count in the ranking")
    func searchPlan() async throws {
        let parser = DocumentParser()
        // "streaming" is in every one of these documents; "quorvath" in one.
        for i in 0..<60 {
            let rare = i == 7 ? " The quorvath streaming note." : ""
            let input = DocumentInput(id: "plan/\(i).txt", format: .text, text: "Note \(i)\n\nAbout streaming data number \(i).\(rare)")
            try await index.writer.write(try parser.parse(input))
        }
        let hits = try await index.reader.search("quorvath streaming", limit: 3)
        #expect(hits.first?.docID == "plan/7.txt")
        // Fewer passages with the rare term than asked for: the plain query fills the rest.
        #expect(hits.count == 3)
        #expect(hits.dropFirst().allSatisfy { $0.docID.hasPrefix("plan/") || $0.docID.hasPrefix("en/") })
        // Only common words: the plain query.
        #expect(try await index.reader.search("streaming data", limit: 5).count == 5)
    }

    @Test("Hits come best first with scores that never increase")
    func ordering() async throws {
        let hits = try await index.reader.search("streaming backpressure tokens", limit: 10)
        #expect(hits.first?.docID == "en/streams.md")
        #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.score >= $1.score })
        #expect(hits.allSatisfy { !$0.snippet.isEmpty && $0.passageID.hasPrefix($0.docID + "#") })
    }

    @Test(
        "Queries are user text, never FTS5 syntax",
        arguments: [
            "\"backpressure", "backpressure\"", "back*", "NEAR(backpressure tokens)", "backpressure AND",
            "OR backpressure", "NOT backpressure", "-backpressure", "title:backpressure", "'; DROP TABLE documents; --",
            "backpressure)", "(", "^backpressure", "{title}: x", "\u{0}backpressure",
        ])
    func hostileQueries(query: String) async throws {
        let hits = try await index.reader.search(query, limit: 10)
        // Each one is the word "backpressure" (or nothing) as plain text: it finds that document.
        if query.lowercased().contains("backpressure") {
            #expect(hits.map(\.docID).contains("en/streams.md"))
        }
        let count = try await index.reader.counts()
        #expect(count.documents == 4)
    }

    @Test("Operators are words: NOT and AND do not change the meaning")
    func operatorsAreWords() async throws {
        // "NOT" is a stop word here and "protocol" must still match the TCP text.
        #expect(try await ids("protocol NOT windows").first == "en/tcp.txt")
        #expect(try await ids("memory AND flat") == ["en/streams.md"])
    }

    @Test("A query with no searchable term finds nothing, without an error")
    func emptyQueries() async throws {
        #expect(try await ids("").isEmpty)
        #expect(try await ids("!!! ??? ***").isEmpty)
        // Stop words alone are still searched (a title may be "To Be or Not to Be").
        _ = try await ids("the of and")
    }

    @Test("Deleting a document removes it from search")
    func delete() async throws {
        #expect(try await index.writer.delete(id: "en/tcp.txt"))
        #expect(try await ids("receive window").isEmpty)
        #expect(try await !index.writer.delete(id: "en/tcp.txt"))
    }

    @Test("Writing the same content again is unchanged; new content replaces the old")
    func rewrite() async throws {
        let parser = DocumentParser()
        let same = DocumentInput(
            id: "en/tcp.txt", format: .text,
            text: "TCP windows\n\nA receive window tells the sender how much it may send. NOT every protocol has one.")
        #expect(try await index.writer.write(try parser.parse(same)) == .unchanged)
        let changed = DocumentInput(id: "en/tcp.txt", format: .text, text: "TCP windows\n\nCongestion control is different.")
        #expect(try await index.writer.write(try parser.parse(changed)) == .updated)
        #expect(try await ids("receive").isEmpty)
        #expect(try await ids("congestion") == ["en/tcp.txt"])
        let stored = try await index.reader.document(id: "en/tcp.txt")
        #expect(stored?.content.contains("Congestion") == true)
        #expect(stored?.summary.passages == 1)
    }

    @Test("Cached term statistics follow writes made through another connection, as by another process")
    func statisticsAcrossProcesses() async throws {
        // A second SearchIndex on the same file has its own pool and its own cache, as a
        // `rag ingest` beside a running server does.
        let other = try folder.index()
        let statistics = { (index: SearchIndex) in
            try await index.pool.read { db in
                let statistics = try index.statistics.snapshot(db)
                return (try statistics.passageCount(), try statistics.documentFrequency(of: "congest"))
            }
        }
        let before = try await statistics(index)
        #expect(before.1 == 0)
        let parser = DocumentParser()
        try await other.writer.write(
            try parser.parse(DocumentInput(id: "en/congestion.txt", format: .text, text: "Congestion control slows the sender.")))
        let after = try await statistics(index)
        #expect(after.0 == before.0 + 1)
        #expect(after.1 == 1)
        #expect(try await ids("congestion") == ["en/congestion.txt"])
        #expect(try await other.writer.delete(id: "en/congestion.txt"))
        #expect(try await statistics(index) == before)
    }

    @Test("A batch is one transaction: a failure writes nothing")
    func atomicBatch() async throws {
        let parser = DocumentParser()
        let good = try parser.parse(DocumentInput(id: "batch/a", format: .text, text: "Alpha\n\nFirst batch document."))
        let other = try parser.parse(DocumentInput(id: "batch/b", format: .text, text: "Beta\n\nSecond batch document."))
        var twin = other
        twin.id = "batch/a"
        // The twin fails after `good` and `other` were written: both are rolled back.
        await #expect(throws: IndexError.duplicateID("batch/a")) {
            _ = try await index.writer.writeAll([good, other, twin])
        }
        #expect(try await index.reader.document(id: "batch/b") == nil)
        #expect(try await index.reader.document(id: "batch/a") == nil)
    }

    @Test("A new index has 16 KB pages; an index made with 4 KB pages keeps them and still works")
    func pageSize() async throws {
        #expect(try await index.pool.read { try Int.fetchOne($0, sql: "PRAGMA page_size") } == 16384)

        let path = folder.url.appendingPathComponent("old.sqlite").path
        let old = try DatabaseQueue(path: path)
        try await old.write { db in
            try db.execute(sql: "PRAGMA page_size = 4096; CREATE TABLE placeholder (x)")
        }
        try old.close()
        let reopened = try SearchIndex(path: path)
        try await reopened.writer.write(
            try DocumentParser().parse(DocumentInput(id: "old/a.txt", format: .text, text: "Pages\n\nOld pages still index.")))
        #expect(try await reopened.pool.read { try Int.fetchOne($0, sql: "PRAGMA page_size") } == 4096)
        #expect(try await reopened.reader.search("pages", limit: 5).map(\.docID) == ["old/a.txt"])
    }
}
