/// The built-in generator: no model, no network. It answers with the retrieved passages'
/// best sentences for the question, each cited with `[n]`.
///
/// A sentence's score is the share of the question's IDF weight it covers, discounted by
/// the rank of its passage; near-duplicates are skipped and the chosen sentences are put
/// back in reading order (by passage rank, then position).
public struct ExtractiveGenerator: Generator {
    let tokenizer: TextTokenizer
    public var maxSentences = 3
    public var maxCharacters = 700
    /// Pause between pieces, to pace the stream like a model would (`--token-delay-ms`).
    public var pieceDelay: Duration = .zero

    public init(tokenizer: TextTokenizer, pieceDelay: Duration = .zero) {
        self.tokenizer = tokenizer
        self.pieceDelay = pieceDelay
    }

    public func generate(_ input: GenerationInput) -> AsyncThrowingStream<String, any Error> {
        let feed = PieceFeed(AnswerPieces.split(answer(input)))
        let delay = pieceDelay
        return AsyncThrowingStream {
            if feed.next > 0 && delay > .zero { try await Task.sleep(for: delay) }
            try Task.checkCancellation()
            return feed.pop()
        }
    }

    /// The pieces still to stream; pulled by one consumer at a time.
    private final class PieceFeed: @unchecked Sendable {
        let pieces: [String]
        var next = 0

        init(_ pieces: [String]) {
            self.pieces = pieces
        }

        func pop() -> String? {
            guard next < pieces.count else { return nil }
            defer { next += 1 }
            return pieces[next]
        }
    }

    private struct Candidate {
        var passage: Int
        var position: Int
        var text: Substring
        var tokens: Set<String>
        var score: Double
        var sameLanguage: Bool
    }

    /// The answer text with its `[n]` citations.
    public func answer(_ input: GenerationInput) -> String {
        if input.passages.isEmpty { return NoContextAnswer.text(for: input.language) }
        let weights = input.terms.weights
        let total = max(input.terms.total, 0.0001)
        var candidates: [Candidate] = []
        for (rank, passage) in input.passages.enumerated() {
            for (position, sentence) in Sentences.split(passage.text).enumerated() {
                let length = sentence.unicodeScalars.count
                let isCJK = sentence.containsCJK
                guard length >= (isCJK ? 8 : 20), length <= 800 else { continue }
                let tokens = Set(tokenizer.tokens(String(sentence), query: false))
                let covered = weights.reduce(0.0) { $0 + (tokens.contains($1.key) ? $1.value : 0) }
                guard covered > 0 else { continue }
                let rankDiscount = 1.0 / (1.0 + 0.15 * Double(rank))
                let positionBonus = position == 0 ? 1.05 : 1.0
                candidates.append(
                    Candidate(
                        passage: rank, position: position, text: sentence, tokens: tokens,
                        score: covered / total * rankDiscount * positionBonus,
                        sameLanguage: (input.language == .chinese) == isCJK))
            }
        }
        // Answer in the question's language when the passages allow it.
        if candidates.contains(where: \.sameLanguage) { candidates.removeAll { !$0.sameLanguage } }
        candidates.sort { $0.score > $1.score }

        var chosen: [Candidate] = []
        var characters = 0
        var coveredTokens = Set<String>()
        for candidate in candidates {
            if chosen.count == maxSentences { break }
            if chosen.contains(where: { Self.similarity($0.tokens, candidate.tokens) > 0.6 }) { continue }
            // After the first sentence, each one must bring a question term not yet covered
            // or be nearly as good as the best.
            let newTerms = candidate.tokens.intersection(weights.keys).subtracting(coveredTokens)
            if let best = chosen.first, newTerms.isEmpty, candidate.score < best.score * 0.8 { continue }
            if !chosen.isEmpty, characters + candidate.text.count > maxCharacters { continue }
            chosen.append(candidate)
            characters += candidate.text.count
            coveredTokens.formUnion(candidate.tokens.intersection(weights.keys))
        }
        if chosen.isEmpty, let first = input.passages.first, let sentence = Sentences.split(first.text).first {
            chosen = [Candidate(passage: 0, position: 0, text: sentence, tokens: [], score: 0, sameLanguage: true)]
        }
        chosen.sort { ($0.passage, $0.position) < ($1.passage, $1.position) }
        var answer = ""
        for candidate in chosen {
            let cjk = candidate.text.containsCJK
            if !answer.isEmpty && !(cjk && answer.unicodeScalars.last.map { !$0.isASCII } == true) {
                answer += " "
            }
            answer += candidate.text
            answer += cjk ? "[\(candidate.passage + 1)]" : " [\(candidate.passage + 1)]"
        }
        return answer
    }

    private static func similarity(_ a: Set<String>, _ b: Set<String>) -> Double {
        guard !a.isEmpty || !b.isEmpty else { return 1 }
        return Double(a.intersection(b).count) / Double(a.union(b).count)
    }
}
