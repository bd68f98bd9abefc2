import CSQLiteFTS
import Foundation
import GRDB

/// The SQLite file that holds documents, passages and their FTS5 index.
///
/// One writer and several readers over WAL: searches never wait for an ingest, and a
/// crash leaves every committed document intact.
public final class SearchIndex: Sendable {
    let pool: DatabasePool
    public let path: String
    /// The index's tokenizer, callable outside SQL (query planning, snippets, generators).
    public let tokenizer: TextTokenizer
    let statistics = TermStatistics()

    public init(path: String, readers: Int = 4) throws {
        _ = Self.configureSQLite
        self.path = path
        self.tokenizer = TextTokenizer()
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var config = Configuration()
        config.maximumReaderCount = readers
        config.busyMode = .timeout(30)
        config.prepareDatabase { db in
            guard rag_fts_register(UnsafeMutableRawPointer(db.sqliteConnection)) == 0 else {
                throw DatabaseError(message: "cannot register the ragcjk FTS5 tokenizer")
            }
            // 16 KB pages (SQLite's default is 4 KB): a document's compressed content
            // spans a quarter of the overflow pages and a write a quarter of the WAL frames.
            // An ingest of python3-doc took 8% less CPU; searches were as fast (A/B, one
            // session). It only applies to a new file: an existing index keeps its pages.
            try db.execute(
                sql: """
                    PRAGMA page_size = 16384;
                    PRAGMA synchronous = NORMAL;
                    PRAGMA temp_store = MEMORY;
                    PRAGMA cache_size = -262144;
                    PRAGMA mmap_size = 268435456;
                    """)
        }
        pool = try DatabasePool(path: path, configuration: config)
        try IndexSchema.migrator.migrate(pool)
    }

    private static let configureSQLite: Void = { _ = rag_sqlite_configure() }()

    public var reader: IndexReader { IndexReader(index: self) }
    public var writer: IndexWriter { IndexWriter(index: self) }

    /// Copies the WAL into the database file and truncates it (after a bulk ingest).
    public func checkpoint() throws {
        try pool.writeWithoutTransaction { db in
            _ = try db.checkpoint(.truncate)
        }
    }

    /// For a bulk load: FTS5 stops merging segments as they come in (each write statement
    /// leaves one) until 64 pile up on a level; ``endBulkLoad()`` restores its defaults and
    /// ``optimize()`` then merges once. Merging as it went rewrote the same terms many times.
    public func beginBulkLoad() throws {
        try setMerging(automerge: 0, crisismerge: 64)
    }

    /// Restores FTS5's merging (its defaults) after ``beginBulkLoad()``.
    public func endBulkLoad() throws {
        try setMerging(automerge: 4, crisismerge: 16)
    }

    private func setMerging(automerge: Int, crisismerge: Int) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO passages_fts(passages_fts, rank) VALUES ('automerge', \(automerge));
                    INSERT INTO passages_fts(passages_fts, rank) VALUES ('crisismerge', \(crisismerge));
                    """)
        }
    }

    /// Merges the small segments that recent writes left into one (FTS5 `merge` with
    /// `usermerge` 2), leaving the large one an ``optimize()`` made as it is: it costs what
    /// the recent writes weigh, not what the whole index weighs.
    public func mergeRecent() throws {
        try pool.writeWithoutTransaction { db in
            try db.execute(
                sql: """
                    INSERT INTO passages_fts(passages_fts, rank) VALUES ('usermerge', 2);
                    INSERT INTO passages_fts(passages_fts, rank) VALUES ('merge', 1000000000);
                    INSERT INTO passages_fts(passages_fts, rank) VALUES ('usermerge', 4);
                    """)
        }
    }

    /// Merges the FTS5 index's segments into one, which makes queries cheaper.
    public func optimize() throws {
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "INSERT INTO passages_fts(passages_fts) VALUES ('optimize')")
        }
    }
}
