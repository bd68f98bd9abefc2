import Foundation
import GRDB
import Synchronization

/// Document frequencies of index terms and the passage count, cached between writes.
///
/// BM25 needs each query term's IDF. FTS5's own bm25() counts it by walking the term's
/// whole doclist on every query, which is most of the cost of a query with common words;
/// here it is one lookup in the `fts5vocab` table, remembered until the index changes.
///
/// "Changes" is the index's generation, a number every write that changes passages bumps
/// in the same transaction (``IndexWriter/bumpGeneration(_:)``). It is read in the
/// search's own read transaction, so the cache follows writes made by other processes
/// too: a `rag ingest` beside a running server, not only the server's own.
final class TermStatistics: Sendable {
    private struct State {
        var generation = -1
        var passages: Int?
        var frequencies: [String: Int] = [:]
    }

    private let state = Mutex(State())

    /// The statistics as of the caller's read transaction, for one query's lookups: the
    /// generation is read once per query, not once per term.
    func snapshot(_ db: Database) throws -> Snapshot {
        let generation = try Int.fetchOne(try db.cachedStatement(sql: "SELECT value FROM index_generation")) ?? 0
        return Snapshot(statistics: self, generation: generation, db: db)
    }

    struct Snapshot {
        let statistics: TermStatistics
        let generation: Int
        let db: Database

        /// Passages in the index.
        func passageCount() throws -> Int {
            if let cached = statistics.cached({ $0.passages }, at: generation) { return cached }
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM passages") ?? 0
            statistics.update(at: generation) { $0.passages = count }
            return count
        }

        /// In how many passages an index term (as the tokenizer emits it) occurs.
        func documentFrequency(of token: String) throws -> Int {
            try frequency(key: token) {
                try Int.fetchOne(
                    try db.cachedStatement(sql: "SELECT doc FROM passages_vocab WHERE term = ?"), arguments: [token])
            }
        }

        /// In how many passages a phrase of several tokens occurs (counted with FTS5).
        func phraseFrequency(of phrase: String, fts: String) throws -> Int {
            try frequency(key: "\u{1}" + phrase) {
                try Int.fetchOne(
                    try db.cachedStatement(sql: "SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?"),
                    arguments: [fts])
            }
        }

        private func frequency(key: String, count: () throws -> Int?) throws -> Int {
            if let cached = statistics.cached({ $0.frequencies[key] }, at: generation) { return cached }
            let value = try count() ?? 0
            statistics.update(at: generation) { state in
                // Bounded: a stream of distinct garbage queries must not grow it forever.
                if state.frequencies.count > 200_000 { state.frequencies.removeAll(keepingCapacity: true) }
                state.frequencies[key] = value
            }
            return value
        }
    }

    private func cached<T>(_ value: (State) -> T?, at generation: Int) -> T? {
        state.withLock { $0.generation == generation ? value($0) : nil }
    }

    /// Changes the cache of `generation`, starting it afresh if it held another one.
    private func update(at generation: Int, _ change: (inout State) -> Void) {
        state.withLock { state in
            if state.generation != generation { state = State(generation: generation) }
            change(&state)
        }
    }
}
