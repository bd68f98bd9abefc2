import GRDB

/// The index's tables. Passages are the FTS5 table's external content, kept in sync by
/// triggers, so a passage and its index entry change in the same transaction.
enum IndexSchema {
    /// `porter` stems English ("streams" finds "streaming"); `ragcjk` splits Chinese,
    /// Japanese and Korean into bigrams; `unicode61` folds case and diacritics.
    static let tokenizer = "porter ragcjk unicode61 remove_diacritics 2"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE documents (
                        id TEXT PRIMARY KEY NOT NULL,
                        source TEXT NOT NULL,
                        title TEXT NOT NULL,
                        format TEXT NOT NULL,
                        content_hash TEXT NOT NULL,
                        content TEXT NOT NULL,
                        passages INTEGER NOT NULL,
                        bytes INTEGER NOT NULL,
                        root TEXT,
                        updated_at REAL NOT NULL
                    );
                    CREATE INDEX documents_root ON documents(root);
                    CREATE TABLE passages (
                        id INTEGER PRIMARY KEY,
                        doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                        ordinal INTEGER NOT NULL,
                        title TEXT NOT NULL,
                        heading TEXT NOT NULL,
                        body TEXT NOT NULL
                    );
                    CREATE INDEX passages_doc ON passages(doc_id, ordinal);
                    CREATE VIRTUAL TABLE passages_fts USING fts5(
                        title, heading, body,
                        content = 'passages', content_rowid = 'id',
                        tokenize = '\(tokenizer)'
                    );
                    CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN
                        INSERT INTO passages_fts(rowid, title, heading, body)
                        VALUES (new.id, new.title, new.heading, new.body);
                    END;
                    CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN
                        INSERT INTO passages_fts(passages_fts, rowid, title, heading, body)
                        VALUES ('delete', old.id, old.title, old.heading, old.body);
                    END;
                    """)
        }
        migrator.registerMigration("v1-vocabulary") { db in
            // Document frequencies of index terms, for the generator's and the relevance check's IDF.
            try db.execute(sql: "CREATE VIRTUAL TABLE passages_vocab USING fts5vocab(passages_fts, 'row')")
        }
        migrator.registerMigration("v2-statement-per-document") { db in
            // FTS5 flushes its pending terms at every statement that writes to it (it syncs
            // on each statement savepoint), so a trigger per passage row made a segment per
            // passage. The writer now indexes a document's passages in one statement.
            try db.execute(sql: "DROP TRIGGER IF EXISTS passages_ai; DROP TRIGGER IF EXISTS passages_ad;")
        }
        migrator.registerMigration("v3-compressed-content") { db in
            // NULL: plain UTF-8 text (rows written before); "zstd": compressed (StoredContent).
            try db.execute(sql: "ALTER TABLE documents ADD COLUMN content_encoding TEXT")
        }
        migrator.registerMigration("v4-generation") { db in
            // Bumped by every write that changes passages: a process that caches term
            // statistics (a server) sees another process's ingest or reindex by it.
            try db.execute(sql: "CREATE TABLE index_generation (value INTEGER NOT NULL); INSERT INTO index_generation VALUES (0);")
        }
        return migrator
    }
}
