import Foundation

/// Turns user text into an FTS5 query. User text is never FTS5 syntax: every term is
/// quoted, so quotes, `*`, `NEAR(`, `AND`/`OR`/`NOT`, `-`, `:` and SQL are just words.
///
/// CJK runs become the same bigrams the `ragcjk` tokenizer indexes (a one-character run
/// stays one character); English stop words and Chinese function-word bigrams are
/// dropped unless nothing else is left.
public struct QueryAnalyzer: Sendable {
    /// Cap on terms: bounds the cost of a query built from a 2,000-character question.
    public var maxTerms = 32

    public init() {}

    /// One search term: a word, an identifier-like phrase ("open_connection") or a CJK bigram.
    public struct Term: Hashable, Sendable {
        /// The words of the term, lower-cased; several words form a phrase.
        public var words: [String]
        public var isCJK: Bool

        /// The term as an FTS5 string (a quoted phrase).
        public var fts: String {
            "\"" + words.joined(separator: " ").replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }

        public var text: String { words.joined(separator: isCJK ? "" : " ") }
    }

    public func terms(_ text: String) -> [Term] {
        var all: [Term] = []
        for chunk in text.lowercased().split(whereSeparator: { $0.isWhitespace }) {
            analyzeChunk(chunk, into: &all)
        }
        var seen = Set<Term>()
        let unique = all.filter { seen.insert($0).inserted }
        let meaningful = unique.filter { !isStop($0) }
        return Array((meaningful.isEmpty ? unique : meaningful).prefix(maxTerms))
    }

    /// Whether `text` has a term that is not a stop word: a question made only of
    /// "what is it" has nothing to look up.
    public func hasContent(_ text: String) -> Bool {
        terms(text).contains { !isStop($0) }
    }

    /// The FTS5 MATCH expression for `text`, or `nil` if it has no searchable term.
    public func matchExpression(_ text: String) -> String? {
        let terms = terms(text)
        guard !terms.isEmpty else { return nil }
        return terms.map(\.fts).joined(separator: " OR ")
    }

    /// A whitespace-free chunk: alphanumeric runs joined by punctuation form one phrase
    /// ("asyncio.open_connection", "client-side"); CJK runs become bigrams.
    private func analyzeChunk(_ chunk: Substring, into terms: inout [Term]) {
        var phrase: [String] = []
        var word = String.UnicodeScalarView()
        var cjk = String.UnicodeScalarView()

        func endWord() {
            if !word.isEmpty { phrase.append(String(word)) }
            word = String.UnicodeScalarView()
        }
        func endPhrase() {
            endWord()
            if !phrase.isEmpty { terms.append(Term(words: phrase, isCJK: false)) }
            phrase = []
        }
        func endCJK() {
            let chars = Array(cjk)
            if chars.count == 1 {
                terms.append(Term(words: [String(chars[0])], isCJK: true))
            } else if chars.count > 1 {
                for i in 0..<(chars.count - 1) {
                    var pair = String.UnicodeScalarView()
                    pair.append(chars[i])
                    pair.append(chars[i + 1])
                    terms.append(Term(words: [String(pair)], isCJK: true))
                }
            }
            cjk = String.UnicodeScalarView()
        }

        for scalar in chunk.unicodeScalars {
            if scalar.isCJK {
                endPhrase()
                cjk.append(scalar)
            } else if scalar.properties.isAlphabetic || scalar.properties.numericType != nil
                || scalar.properties.generalCategory == .nonspacingMark
            {
                endCJK()
                word.append(scalar)
            } else {
                endCJK()
                endWord()
                // Only joining punctuation keeps a phrase together; anything else ends it.
                if !"._-'’@#+".unicodeScalars.contains(scalar) { endPhrase() }
            }
        }
        endCJK()
        endPhrase()
        // A phrase of stop words only ("it's") says nothing; one with content is kept whole.
        if let last = terms.last, last.words.count > 1, last.words.allSatisfy({ Self.englishStopWords.contains($0) }) {
            terms.removeLast()
        }
    }

    private func isStop(_ term: Term) -> Bool {
        if term.isCJK {
            return term.words[0].unicodeScalars.contains { Self.chineseFunctionCharacters.contains($0) }
        }
        return term.words.count == 1 && Self.englishStopWords.contains(term.words[0])
    }

    static let englishStopWords: Set<String> = [
        "a", "about", "above", "after", "again", "all", "am", "an", "and", "any", "are", "as", "at", "be",
        "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did",
        "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have",
        "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its",
        "itself", "me", "more", "most", "my", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or",
        "other", "our", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that",
        "the", "their", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too",
        "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who",
        "whom", "why", "will", "with", "would", "you", "your", "yours", "s", "t", "don", "doesn", "isn", "let",
        "near", "tell", "explain", "please", "does", "get", "use", "using", "used", "way", "ways", "thing",
    ]

    /// Characters whose bigrams are almost always function words ("什么", "么是", "是否", "的时").
    static let chineseFunctionCharacters: Set<Unicode.Scalar> = Set("的了吗呢吧么什怎哪是这那个们啊呀".unicodeScalars)
}
