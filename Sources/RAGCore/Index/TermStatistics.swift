import Foundation
import GRDB
import Synchronization

/// Document frequencies of index terms and the passage count, cached between writes.
///
/// BM25 needs each query term's IDF. FTS5's own bm25() counts it by walking the term's
/// whole doclist on every query, which is most of the cost of a query with common words;
/// here it is one lookup in the `fts5vocab` table, remembered until the index changes.
final class TermStatistics: Sendable {
    private struct State {
        var generation = -1
        var passages = 0
        var frequencies: [String: Int] = [:]
    }

    private let state = Mutex(State())
    /// Bumped by every write; a cached value from an older generation is stale.
    let generation = Atomic<Int>(0)

    func invalidate() {
        generation.wrappingAdd(1, ordering: .relaxed)
    }

    /// Passages in the index.
    func passageCount(_ db: Database) throws -> Int {
        let current = generation.load(ordering: .relaxed)
        if let cached = state.withLock({ $0.generation == current ? $0.passages : nil }) { return cached }
        let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM passages") ?? 0
        state.withLock { state in
            if state.generation != current {
                state = State(generation: current, passages: count, frequencies: [:])
            } else {
                state.passages = count
            }
        }
        return count
    }

    /// In how many passages an index term (as the tokenizer emits it) occurs.
    func documentFrequency(of token: String, _ db: Database) throws -> Int {
        let current = generation.load(ordering: .relaxed)
        if let cached = state.withLock({ $0.generation == current ? $0.frequencies[token] : nil }) { return cached }
        let count = try Int.fetchOne(
            try db.cachedStatement(sql: "SELECT doc FROM passages_vocab WHERE term = ?"), arguments: [token]) ?? 0
        store(token, count, generation: current)
        return count
    }

    /// In how many passages a phrase of several tokens occurs (counted with FTS5).
    func phraseFrequency(of phrase: String, fts: String, _ db: Database) throws -> Int {
        let current = generation.load(ordering: .relaxed)
        let key = "\u{1}" + phrase
        if let cached = state.withLock({ $0.generation == current ? $0.frequencies[key] : nil }) { return cached }
        let count = try Int.fetchOne(
            try db.cachedStatement(sql: "SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?"), arguments: [fts]) ?? 0
        store(key, count, generation: current)
        return count
    }

    private func store(_ key: String, _ count: Int, generation current: Int) {
        state.withLock { state in
            if state.generation != current { state = State(generation: current, passages: 0, frequencies: [:]) }
            // Bounded: a stream of distinct garbage queries must not grow it forever.
            if state.frequencies.count > 200_000 { state.frequencies.removeAll(keepingCapacity: true) }
            state.frequencies[key] = count
        }
    }
}
