import Foundation
import GRDB

/// How a query runs against FTS5: BM25 over the title, heading and body columns, planned
/// so that common words do not make every query expensive.
///
/// A plain `a OR b OR c` query ranks every passage containing any term; with a common
/// word among them that is thousands of rows, and FTS5's bm25() also walks each term's
/// whole doclist to count its IDF. Here the IDFs come from cached statistics, and when a
/// question has rarer terms the query becomes `(rare…) AND (rare… OR common…)`: only
/// passages with at least one rare term are ranked, still with every term's weight. A
/// passage sharing nothing but common words with the question would rank below them
/// anyway; if the rare terms find fewer passages than asked for, the plain query runs.
struct SearchPlan {
    /// One query term, as FTS5 syntax and as index tokens, with its IDF.
    struct Term {
        var fts: String
        var tokens: [String]
        var frequency: Int
        var idf: Double
    }

    /// A term found in more than this share of passages is common.
    static let commonShare = 0.05
    /// BM25 column weights: title, heading, body. Matches in titles and headings say more
    /// about what a passage is about than matches in running text.
    static let columnWeights = "4.0, 2.5, 1.0"

    var terms: [Term]
    var passages: Int

    /// Plans `terms` (from ``QueryAnalyzer``) against the index's statistics.
    init(terms analyzed: [QueryAnalyzer.Term], tokenizer: TextTokenizer, statistics: TermStatistics, db: Database) throws {
        let statistics = try statistics.snapshot(db)
        passages = try statistics.passageCount()
        var terms: [Term] = []
        for term in analyzed {
            let tokens = tokenizer.tokens(term.text)
            guard !tokens.isEmpty else { continue }
            let frequency =
                tokens.count == 1
                ? try statistics.documentFrequency(of: tokens[0])
                : try statistics.phraseFrequency(of: tokens.joined(separator: " "), fts: term.fts)
            guard frequency > 0 else { continue }
            terms.append(Term(fts: term.fts, tokens: tokens, frequency: frequency, idf: Self.idf(frequency, of: passages)))
        }
        self.terms = terms
    }

    /// BM25's IDF exactly as FTS5 computes it.
    static func idf(_ frequency: Int, of passages: Int) -> Double {
        let idf = log((Double(passages) - Double(frequency) + 0.5) / (Double(frequency) + 0.5))
        return idf > 0 ? idf : 1e-6
    }

    /// The index tokens of the query with their IDF (for the generator and relevance checks).
    var weights: [String: Double] {
        var weights: [String: Double] = [:]
        for term in terms {
            for token in term.tokens { weights[token] = max(weights[token] ?? 0, term.idf) }
        }
        return weights
    }

    /// The best `limit` rows by BM25, best first: (rowid, score).
    func run(limit: Int, db: Database) throws -> [(row: Int64, score: Double)] {
        guard !terms.isEmpty else { return [] }
        let threshold = max(Int(Double(passages) * Self.commonShare), 20)
        let rare = terms.filter { $0.frequency <= threshold }
        let common = terms.filter { $0.frequency > threshold }
        if !rare.isEmpty && !common.isEmpty {
            let rows = try query(selecting: rare, scoring: rare + common, limit: limit, db: db)
            if rows.count >= limit { return rows }
        }
        return try query(selecting: [], scoring: terms, limit: limit, db: db)
    }

    private func query(selecting: [Term], scoring: [Term], limit: Int, db: Database) throws -> [(row: Int64, score: Double)] {
        let any = scoring.map(\.fts).joined(separator: " OR ")
        let match = selecting.isEmpty ? any : "(\(selecting.map(\.fts).joined(separator: " OR "))) AND (\(any))"
        let idfs = Array(repeating: "?", count: scoring.count).joined(separator: ", ")
        let statement = try db.cachedStatement(
            sql: """
                SELECT rowid, ragrank(passages_fts, ?, \(Self.columnWeights), \(idfs)) AS score
                FROM passages_fts WHERE passages_fts MATCH ? ORDER BY score DESC LIMIT ?
                """)
        var arguments: [(any DatabaseValueConvertible)?] = [selecting.count]
        arguments += scoring.map(\.idf)
        arguments += [match, limit]
        var rows: [(row: Int64, score: Double)] = []
        let cursor = try Row.fetchCursor(statement, arguments: StatementArguments(arguments))
        while let row = try cursor.next() { rows.append((row[0], row[1])) }
        return rows
    }
}
