import Foundation
import GRDB

/// Why the index refused a write.
public enum IndexError: Error, Equatable, Sendable {
    case duplicateID(String)
}

/// What writing a document did.
public enum WriteStatus: String, Codable, Sendable {
    case created
    case updated
    case unchanged
}

/// What decides whether a stored document would change: its content hash and metadata.
public struct StoredFingerprint: Sendable, Equatable {
    public var contentHash: String
    public var title: String
    public var source: String
}

/// Writes documents and their passages. Every method that changes data runs in one
/// transaction: a document is either entirely in the index, old or new, or not at all.
public struct IndexWriter: Sendable {
    let index: SearchIndex

    /// Fingerprints of all stored documents, to skip unchanged ones before parsing them.
    public func fingerprints() async throws -> [String: StoredFingerprint] {
        try await index.pool.read { db in
            var fingerprints: [String: StoredFingerprint] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT id, content_hash, title, source FROM documents")
            while let row = try rows.next() {
                fingerprints[row[0]] = StoredFingerprint(contentHash: row[1], title: row[2], source: row[3])
            }
            return fingerprints
        }
    }

    /// Fingerprints of the given documents that are stored.
    public func fingerprints(of ids: [String]) async throws -> [String: StoredFingerprint] {
        try await index.pool.read { db in
            var fingerprints: [String: StoredFingerprint] = [:]
            let statement = try db.cachedStatement(sql: "SELECT content_hash, title, source FROM documents WHERE id = ?")
            for id in ids {
                if let row = try Row.fetchOne(statement, arguments: [id]) {
                    fingerprints[id] = StoredFingerprint(contentHash: row[0], title: row[1], source: row[2])
                }
            }
            return fingerprints
        }
    }

    /// Writes one document in its own transaction.
    @discardableResult
    public func write(_ document: ParsedDocument, root: String? = nil) async throws -> WriteStatus {
        return try await index.pool.write { db in
            let status = try Self.write(document, root: root, db: db)
            try Self.indexPassages(of: [document.id], statuses: [status], db: db)
            return status
        }
    }

    /// Writes documents (with the folder each was found in) in one transaction, indexing
    /// all their passages with one FTS5 statement; blocks the calling thread (for the ingest
    /// pipeline's writer thread, never a Swift concurrency task).
    public func writeNow(_ documents: [(document: ParsedDocument, root: String?)]) throws -> [WriteStatus] {
        return try index.pool.write { db in
            let statuses = try documents.map { try Self.write($0.document, root: $0.root, db: db) }
            try Self.indexPassages(of: documents.map(\.document.id), statuses: statuses, db: db)
            return statuses
        }
    }

    /// Writes several documents in one transaction: all of them or none. Two documents
    /// with the same id are an error, and roll back whatever was written.
    public func writeAll(_ documents: [ParsedDocument]) async throws -> [WriteStatus] {
        return try await index.pool.write { db in
            var seen = Set<String>()
            let statuses = try documents.map { document in
                guard seen.insert(document.id).inserted else { throw IndexError.duplicateID(document.id) }
                return try Self.write(document, root: nil, db: db)
            }
            try Self.indexPassages(of: documents.map(\.id), statuses: statuses, db: db)
            return statuses
        }
    }

    /// Stores a document and its passages; ``indexPassages(of:statuses:db:)`` then indexes them.
    static func write(_ doc: ParsedDocument, root: String?, db: Database) throws -> WriteStatus {
        let existing = try Row.fetchOne(
            db, sql: "SELECT content_hash, title, source FROM documents WHERE id = ?", arguments: [doc.id]
        ).map { StoredFingerprint(contentHash: $0[0], title: $0[1], source: $0[2]) }
        if existing == StoredFingerprint(contentHash: doc.contentHash, title: doc.title, source: doc.source) {
            return .unchanged
        }
        if existing != nil { try deletePassages(of: doc.id, db: db) }
        try db.cachedStatement(
            sql: """
                INSERT INTO documents (id, source, title, format, content_hash, content, content_encoding, passages,
                                       bytes, root, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET
                    source = excluded.source, title = excluded.title, format = excluded.format,
                    content_hash = excluded.content_hash, content = excluded.content,
                    content_encoding = excluded.content_encoding, passages = excluded.passages,
                    bytes = excluded.bytes, root = excluded.root, updated_at = excluded.updated_at
                """
        ).execute(arguments: [
            doc.id, doc.source, doc.title, doc.format.rawValue, doc.contentHash, Data(doc.storedContent.bytes),
            doc.storedContent.encoding, doc.passages.count, doc.contentBytes, root, Date().timeIntervalSince1970,
        ])
        try insertPassages(doc.passages, of: doc.id, title: doc.title, db: db)
        return existing == nil ? .created : .updated
    }

    /// Marks the passages as changed, for every process's cached term statistics
    /// (``TermStatistics``); part of the transaction that changes them.
    static func bumpGeneration(_ db: Database) throws {
        try db.cachedStatement(sql: "UPDATE index_generation SET value = value + 1").execute()
    }

    /// Stores passages of a document (the full-text index is written separately).
    static func insertPassages(_ passages: [Passage], of id: String, title: String, db: Database) throws {
        let insert = try db.cachedStatement(
            sql: "INSERT INTO passages (doc_id, ordinal, title, heading, body) VALUES (?, ?, ?, ?, ?)")
        for passage in passages {
            try insert.execute(arguments: [id, passage.ordinal, title, passage.heading, passage.text])
        }
    }

    /// Indexes the passages of the documents just written (not the unchanged ones) with
    /// one FTS5 statement: FTS5 makes a segment per statement (see the v2 migration).
    static func indexPassages(of ids: [String], statuses: [WriteStatus], db: Database) throws {
        let ids = zip(ids, statuses).filter { $0.1 != .unchanged }.map(\.0)
        guard !ids.isEmpty else { return }
        try bumpGeneration(db)
        try db.cachedStatement(
            sql: """
                INSERT INTO passages_fts (rowid, title, heading, body)
                SELECT id, title, heading, body FROM passages
                WHERE doc_id IN (SELECT value FROM json_each(?))
                """
        ).execute(arguments: [try JSONCoding.string(ids)])
    }

    /// Removes a document's passages and their index entries (FTS5 external content needs
    /// the old values to remove a row's terms).
    static func deletePassages(of id: String, db: Database) throws {
        try bumpGeneration(db)
        try db.cachedStatement(
            sql: """
                INSERT INTO passages_fts (passages_fts, rowid, title, heading, body)
                SELECT 'delete', id, title, heading, body FROM passages WHERE doc_id = ?
                """
        ).execute(arguments: [id])
        try db.cachedStatement(sql: "DELETE FROM passages WHERE doc_id = ?").execute(arguments: [id])
    }

    /// Deletes a document; `false` if there was none.
    @discardableResult
    public func delete(id: String) async throws -> Bool {
        return try await index.pool.write { db in
            try Self.deletePassages(of: id, db: db)
            try db.execute(sql: "DELETE FROM documents WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    /// Deletes the documents ingested from `root` whose ids are not in `keep`. Returns their ids.
    public func prune(root: String, keep: Set<String>) async throws -> [String] {
        return try await index.pool.write { db in
            let ids = try String.fetchAll(db, sql: "SELECT id FROM documents WHERE root = ?", arguments: [root])
            let gone = ids.filter { !keep.contains($0) }
            for id in gone {
                try Self.deletePassages(of: id, db: db)
                try db.execute(sql: "DELETE FROM documents WHERE id = ?", arguments: [id])
            }
            return gone
        }
    }
}
