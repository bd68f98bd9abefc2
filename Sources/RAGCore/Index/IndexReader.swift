import Foundation
import GRDB

/// One passage found by a search, best first.
public struct SearchHit: Sendable, Encodable, Equatable {
    public var docID: String
    public var passageID: String
    public var title: String
    public var source: String
    public var heading: String
    public var snippet: String
    /// Higher is better (the negated bm25 of SQLite, where lower is better).
    public var score: Double
    /// The passage's row in the index, to fetch its text.
    public var row: Int64

    enum CodingKeys: String, CodingKey {
        case docID = "doc_id"
        case passageID = "passage_id"
        case title, source, heading, snippet, score
    }
}

/// A stored document's description, as listed by the API.
public struct DocumentSummary: Sendable, Codable, Equatable {
    public var id: String
    public var title: String
    public var source: String
    public var format: String
    public var passages: Int
}

/// A stored document with what it was ingested from.
public struct StoredDocument: Sendable {
    public var summary: DocumentSummary
    public var content: String
    /// The visible text, headings and passages in order.
    public var text: String
}

/// Reads the index. Every method is a read transaction on one of the pool's readers.
public struct IndexReader: Sendable {
    let index: SearchIndex
    let analyzer = QueryAnalyzer()

    /// The best `limit` passages for `query`, which is user text, never FTS5 syntax.
    public func search(_ query: String, limit: Int) async throws -> [SearchHit] {
        try searchWithText(query, limit: limit).hits.map(\.hit)
    }

    /// A hit with what the retriever needs besides: the passage's text and tokens.
    struct RankedPassage: Sendable {
        var hit: SearchHit
        var text: String
        var tokens: [TextTokenizer.Token]
    }

    private struct PassageRow: Sendable {
        var docID: String
        var ordinal: Int
        var title: String
        var heading: String
        var body: String
        var source: String
    }

    /// Hits with their passages' text and tokens, and the query's token weights (IDF).
    ///
    /// The query runs on the calling thread (GRDB's synchronous read), unlike the other
    /// reads here: it is CPU work over a memory-mapped file, and handing it to GRDB's
    /// reader queues put more threads than cores on it and cost a thread hop each way
    /// (searches at 64 concurrent clients: 444 against 549 requests/s). Callers keep it
    /// off event loops; the server's search route and the ask pipeline run on the global
    /// executor, whose threads are as many as the cores.
    func searchWithText(_ query: String, limit: Int) throws -> (hits: [RankedPassage], weights: [String: Double]) {
        let terms = analyzer.terms(query)
        guard !terms.isEmpty else { return ([], [:]) }
        let index = self.index
        let (rows, weights, metadata) = try index.pool.read { db in
            let plan = try SearchPlan(terms: terms, tokenizer: index.tokenizer, statistics: index.statistics, db: db)
            let rows = try plan.run(limit: limit, db: db)
            let statement = try db.cachedStatement(
                sql: """
                    SELECT p.doc_id, p.ordinal, p.title, p.heading, p.body, d.source
                    FROM passages p JOIN documents d ON d.id = p.doc_id WHERE p.id = ?
                    """)
            var metadata: [Int64: PassageRow] = [:]
            for row in rows {
                if let found = try Row.fetchOne(statement, arguments: [row.row]) {
                    metadata[row.row] = PassageRow(
                        docID: found[0], ordinal: found[1], title: found[2], heading: found[3], body: found[4],
                        source: found[5])
                }
            }
            return (rows, plan.weights, metadata)
        }
        let queryTokens = Set(weights.keys)
        var hits: [RankedPassage] = []
        for (row, score) in rows {
            guard let meta = metadata[row] else { continue }
            let docID = meta.docID
            let body = meta.body
            let tokens = index.tokenizer.positionedTokens(body)
            let hit = SearchHit(
                docID: docID, passageID: "\(docID)#\(meta.ordinal)", title: meta.title, source: meta.source,
                heading: meta.heading,
                snippet: PassageSnippet.make(text: body, tokens: tokens, queryTokens: queryTokens),
                score: (score * 10_000).rounded() / 10_000, row: row)
            hits.append(RankedPassage(hit: hit, text: body, tokens: tokens))
        }
        return (hits, weights)
    }

    /// The text of passages by row, in the order asked.
    public func passageTexts(rows: [Int64]) async throws -> [Int64: String] {
        guard !rows.isEmpty else { return [:] }
        return try await index.pool.read { db in
            var texts: [Int64: String] = [:]
            let statement = try db.cachedStatement(sql: "SELECT body FROM passages WHERE id = ?")
            for row in rows {
                if let body = try String.fetchOne(statement, arguments: [row]) { texts[row] = body }
            }
            return texts
        }
    }

    public func counts() async throws -> (documents: Int, passages: Int) {
        try await index.pool.read { db in
            let documents = try Int.fetchOne(db, sql: "SELECT count(*) FROM documents") ?? 0
            let passages = try Int.fetchOne(db, sql: "SELECT count(*) FROM passages") ?? 0
            return (documents, passages)
        }
    }

    public func document(id: String) async throws -> StoredDocument? {
        try await index.pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT id, title, source, format, passages, content, content_encoding FROM documents WHERE id = ?",
                    arguments: [id])
            else { return nil }
            var parts: [String] = []
            var lastHeading = ""
            let passages = try Row.fetchCursor(
                db, sql: "SELECT heading, body FROM passages WHERE doc_id = ? ORDER BY ordinal", arguments: [id])
            while let passage = try passages.next() {
                let heading: String = passage[0]
                if heading != lastHeading, let last = heading.components(separatedBy: " > ").last, !last.isEmpty {
                    parts.append(last)
                }
                lastHeading = heading
                parts.append(passage[1])
            }
            return StoredDocument(
                summary: DocumentSummary(id: row[0], title: row[1], source: row[2], format: row[3], passages: row[4]),
                content: Self.content(row, 5), text: parts.joined(separator: "\n\n"))
        }
    }

    /// Documents ordered by id, after `cursor` (an id) if given.
    public func documents(after cursor: String?, limit: Int) async throws -> [DocumentSummary] {
        try await index.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, title, source, format, passages FROM documents
                    WHERE id > ? ORDER BY id LIMIT ?
                    """, arguments: [cursor ?? "", limit]
            ).map { DocumentSummary(id: $0[0], title: $0[1], source: $0[2], format: $0[3], passages: $0[4]) }
        }
    }

    /// Document ids in order, after `cursor`.
    public func documentIDs(after cursor: String?, limit: Int) async throws -> [String] {
        try await index.pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT id FROM documents WHERE id > ? ORDER BY id LIMIT ?", arguments: [cursor ?? "", limit])
        }
    }

    /// One document as the export writes it.
    public func exportedDocument(id: String) async throws -> ExportedDocument? {
        try await index.pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT id, source, title, format, content, content_encoding FROM documents WHERE id = ?",
                arguments: [id]
            ).map { ExportedDocument(id: $0[0], source: $0[1], title: $0[2], format: $0[3], content: Self.content($0, 4)) }
        }
    }

    /// The content column at `index` (followed by its encoding column) as text.
    static func content(_ row: Row, _ index: Int) -> String {
        let encoding: String? = row[index + 1]
        switch (row[index] as DatabaseValue).storage {
        case .blob(let data): return StoredContent(bytes: Array(data), encoding: encoding).text
        case .string(let text): return text
        default: return ""
        }
    }
}

/// One line of the export, in the `POST /v1/documents` shape so it can be posted back.
public struct ExportedDocument: Sendable, Codable {
    public var id: String
    public var source: String
    public var title: String
    public var format: String
    public var content: String
}
