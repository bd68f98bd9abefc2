import GRDB

/// A passage retrieved for a question, with its whole text for the generator.
public struct RetrievedPassage: Sendable {
    public var hit: SearchHit
    public var text: String
    /// The share of the question's weight (IDF) this passage covers, 0...1.
    public var coverage: Double
}

/// Finds the passages that answer a question.
public protocol Retrieving: Sendable {
    func retrieve(_ question: String, limit: Int) async throws -> (passages: [RetrievedPassage], terms: Retriever.WeightedTerms)
}

/// Finds the passages that answer a question: an FTS5 bm25 search, then a relevance
/// floor, so a question the index knows nothing about gets no passages at all.
public struct Retriever: Retrieving {
    let index: SearchIndex
    let tokenizer: TextTokenizer
    let analyzer = QueryAnalyzer()
    /// Passages covering less than this share of the question's IDF weight are dropped.
    public var minimumCoverage = 0.3

    public init(index: SearchIndex, tokenizer: TextTokenizer) {
        self.index = index
        self.tokenizer = tokenizer
    }

    /// The question's terms as the index stores them, each with its IDF.
    public struct WeightedTerms: Sendable {
        public var weights: [String: Double]
        public var total: Double { weights.values.reduce(0, +) }
    }

    public func retrieve(_ question: String, limit: Int) async throws -> (passages: [RetrievedPassage], terms: WeightedTerms) {
        guard analyzer.hasContent(question), let match = analyzer.matchExpression(question) else {
            return ([], WeightedTerms(weights: [:]))
        }
        let queryTokens = Set(analyzer.terms(question).flatMap { tokenizer.tokens($0.text) })
        let (hits, texts, weights) = try await index.pool.read { db in
            let hits = try IndexReader.search(match: match, limit: limit, db: db)
            var texts: [Int64: String] = [:]
            let body = try db.cachedStatement(sql: "SELECT heading, body FROM passages WHERE id = ?")
            for hit in hits {
                if let row = try Row.fetchOne(body, arguments: [hit.row]) {
                    texts[hit.row] = row[1]
                }
            }
            let weights = try Self.idf(of: queryTokens, db: db)
            return (hits, texts, weights)
        }
        let terms = WeightedTerms(weights: weights)
        let total = terms.total
        var passages: [RetrievedPassage] = []
        for hit in hits {
            let text = texts[hit.row] ?? ""
            let tokens = Set(tokenizer.tokens(hit.title + "\n" + hit.heading + "\n" + text, query: false))
            let covered = weights.reduce(0.0) { $0 + (tokens.contains($1.key) ? $1.value : 0) }
            let coverage = total > 0 ? covered / total : 0
            passages.append(RetrievedPassage(hit: hit, text: text, coverage: coverage))
        }
        // The floor is relative to the best passage too: a question half of whose words are
        // rare typos still finds the passage that has the other half.
        let best = passages.map(\.coverage).max() ?? 0
        if best < minimumCoverage { return ([], terms) }
        return (passages.filter { $0.coverage >= min(minimumCoverage, best * 0.5) }, terms)
    }

    /// Inverse document frequency of index tokens, as bm25 computes it (floored at a small
    /// positive value so very common terms still count a little).
    static func idf(of tokens: Set<String>, db: Database) throws -> [String: Double] {
        guard !tokens.isEmpty else { return [:] }
        let total = Double(try Int.fetchOne(db, sql: "SELECT count(*) FROM passages") ?? 0)
        let statement = try db.cachedStatement(sql: "SELECT doc FROM passages_vocab WHERE term = ?")
        var weights: [String: Double] = [:]
        for token in tokens {
            let df = Double(try Int.fetchOne(statement, arguments: [token]) ?? 0)
            let idf = df == 0 ? log(total + 1) : log((total - df + 0.5) / (df + 0.5) + 1)
            weights[token] = max(idf, 0.01)
        }
        return weights
    }
}
#if canImport(Glibc)
import Glibc
#endif
