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
        guard analyzer.hasContent(question) else { return ([], WeightedTerms(weights: [:])) }
        let (hits, weights) = try index.reader.searchWithText(question, limit: limit)
        let terms = WeightedTerms(weights: weights)
        let total = terms.total
        var passages: [RetrievedPassage] = []
        for ranked in hits {
            var tokens = Set(ranked.tokens.map(\.text))
            for part in [ranked.hit.title, ranked.hit.heading] { tokens.formUnion(tokenizer.tokens(part, query: false)) }
            let covered = weights.reduce(0.0) { $0 + (tokens.contains($1.key) ? $1.value : 0) }
            passages.append(RetrievedPassage(hit: ranked.hit, text: ranked.text, coverage: total > 0 ? covered / total : 0))
        }
        // The floor is relative to the best passage too: a question half of whose words are
        // rare typos still finds the passage that has the other half.
        let best = passages.map(\.coverage).max() ?? 0
        if best < minimumCoverage { return ([], terms) }
        return (passages.filter { $0.coverage >= min(minimumCoverage, best * 0.5) }, terms)
    }
}
