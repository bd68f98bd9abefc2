import Foundation
import GRDB
import Synchronization

/// What a reindex did.
public struct ReindexReport: Sendable {
    public var documents = 0
    public var reindexed = 0
    /// Passages before and after.
    public var passagesBefore = 0
    public var passages = 0
    /// Bytes of stored content parsed.
    public var bytes = 0
    /// Documents whose stored content no longer parses; they keep their passages.
    public var failures: [(id: String, reason: String)] = []
    public var elapsed: Duration = .zero
}

/// Rebuilds the index from the content it keeps, without the source files: every stored
/// document is parsed again, with the current extractor and passage splitter, and the
/// full-text index is rebuilt with the current tokenizer. Titles and sources stay as
/// they are (some were given by whoever posted the document, not extracted).
///
/// It is one transaction: readers, a running server among them, see the old index until
/// it commits, and a crash leaves the old index. The full-text index is rebuilt at the
/// end (FTS5's `rebuild`) rather than updated passage by passage: removing a passage's
/// terms tokenizes its text again, and after a tokenizer change that would remove terms
/// other than those the old tokenizer had indexed.
public struct Reindexer: Sendable {
    public let index: SearchIndex
    public var parser = DocumentParser()
    /// About how much stored content is parsed before it is written.
    public var chunkBytes = 8 << 20

    public init(index: SearchIndex) {
        self.index = index
    }

    private struct Stored: Sendable {
        var id: String
        var source: String
        var title: String
        var format: DocumentFormat?
        var content: String
    }

    public func run(progress: (@Sendable (IngestProgress) -> Void)? = nil) async throws -> ReindexReport {
        let clock = ContinuousClock()
        let start = clock.now
        var report = try await index.pool.write { db in
            var report = ReindexReport()
            report.passagesBefore = try Int.fetchOne(db, sql: "SELECT count(*) FROM passages") ?? 0
            let sizes = try Row.fetchAll(db, sql: "SELECT id, bytes FROM documents ORDER BY id").map {
                (id: $0[0] as String, bytes: $0[1] as Int)
            }
            report.documents = sizes.count
            let totalBytes = sizes.reduce(0) { $0 + $1.bytes }
            for chunk in Self.chunks(sizes, bytes: chunkBytes) {
                let stored = try Self.fetch(chunk.map(\.id), db: db)
                for (document, outcome) in zip(stored, parse(stored)) {
                    switch outcome {
                    case .success(let passages):
                        try db.execute(sql: "DELETE FROM passages WHERE doc_id = ?", arguments: [document.id])
                        try IndexWriter.insertPassages(passages, of: document.id, title: document.title, db: db)
                        try db.execute(
                            sql: "UPDATE documents SET passages = ? WHERE id = ?", arguments: [passages.count, document.id])
                        report.reindexed += 1
                    case .failure(let error):
                        report.failures.append((document.id, error.description))
                    }
                }
                report.bytes += chunk.reduce(0) { $0 + $1.bytes }
                progress?(
                    IngestProgress(
                        filesDone: report.reindexed + report.failures.count, filesTotal: report.documents,
                        bytesDone: report.bytes, bytesTotal: totalBytes, elapsed: clock.now - start))
            }
            try db.execute(sql: "INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')")
            try IndexWriter.bumpGeneration(db)
            try db.execute(sql: "INSERT INTO passages_fts(passages_fts) VALUES ('optimize')")
            report.passages = try Int.fetchOne(db, sql: "SELECT count(*) FROM passages") ?? 0
            return report
        }
        try index.checkpoint()
        report.elapsed = clock.now - start
        return report
    }

    /// Consecutive runs of documents holding about `bytes` of content (at least one each).
    private static func chunks(_ sizes: [(id: String, bytes: Int)], bytes: Int) -> [ArraySlice<(id: String, bytes: Int)>] {
        var chunks: [ArraySlice<(id: String, bytes: Int)>] = []
        var start = 0
        var held = 0
        for (i, size) in sizes.enumerated() {
            held += size.bytes
            if held >= bytes || i == sizes.count - 1 {
                chunks.append(sizes[start...i])
                start = i + 1
                held = 0
            }
        }
        return chunks
    }

    private static func fetch(_ ids: [String], db: Database) throws -> [Stored] {
        let statement = try db.cachedStatement(
            sql: "SELECT source, title, format, content, content_encoding FROM documents WHERE id = ?")
        return try ids.compactMap { id in
            try Row.fetchOne(statement, arguments: [id]).map { row in
                Stored(
                    id: id, source: row[0], title: row[1], format: DocumentFormat(rawValue: row[2]),
                    content: IndexReader.content(row, 3))
            }
        }
    }

    /// The documents' new passages, parsed on every core.
    private func parse(_ documents: [Stored]) -> [Result<[Passage], IngestError>] {
        let results = Mutex([Result<[Passage], IngestError>?](repeating: nil, count: documents.count))
        DispatchQueue.concurrentPerform(iterations: documents.count) { i in
            let document = documents[i]
            let input = DocumentInput(
                id: document.id, source: document.source, title: document.title, format: document.format,
                text: document.content)
            let outcome = Result { () throws(IngestError) in try parser.parse(input).passages }
            results.withLock { $0[i] = outcome }
        }
        return results.withLock { $0.map { $0! } }
    }
}
