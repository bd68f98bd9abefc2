/// A short excerpt of a passage around the query's terms, like FTS5's snippet(): the
/// window of `width` token positions with the most distinct query terms, with "…" where
/// text was cut.
enum PassageSnippet {
    static func make(
        text: String, tokens: [TextTokenizer.Token], queryTokens: Set<String>, width: Int = 16
    ) -> String {
        // Query terms as small numbers, and for each token position the terms it holds
        // (colocated tokens share their bigram's position). One hash lookup per token.
        var termIDs: [String: Int] = [:]
        for term in queryTokens { termIDs[term] = termIDs.count }
        var positions: [(start: Int, end: Int, terms: [Int])] = []
        positions.reserveCapacity(tokens.count)
        for token in tokens {
            let id = termIDs[token.text]
            if token.colocated, !positions.isEmpty {
                if let id { positions[positions.count - 1].terms.append(id) }
            } else {
                positions.append((token.start, token.end, id.map { [$0] } ?? []))
            }
        }
        guard !positions.isEmpty else { return String(text.prefix(160)).collapsingWhitespace }
        let width = min(width, positions.count)

        // Slide the window once, keeping counts per term.
        var counts = [Int](repeating: 0, count: termIDs.count)
        var distinct = 0
        var hits = 0
        func add(_ position: Int, _ delta: Int) {
            for id in positions[position].terms {
                if delta > 0 && counts[id] == 0 { distinct += 1 }
                counts[id] += delta
                if delta < 0 && counts[id] == 0 { distinct -= 1 }
                hits += delta
            }
        }
        for p in 0..<width { add(p, 1) }
        var best = 0
        var bestScore = (distinct, hits)
        if width < positions.count {
            for start in 1...(positions.count - width) {
                add(start - 1, -1)
                add(start + width - 1, 1)
                if (distinct, hits) > bestScore {
                    bestScore = (distinct, hits)
                    best = start
                }
            }
        }
        let from = positions[best].start
        let to = positions[best + width - 1].end
        var snippet = String(decoding: Array(text.utf8)[from..<to], as: UTF8.self).collapsingWhitespace
        if best > 0 { snippet = "…" + snippet }
        if best + width < positions.count { snippet += "…" }
        return snippet
    }
}
