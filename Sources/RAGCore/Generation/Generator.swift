/// What a generator answers from.
public struct GenerationInput: Sendable {
    public var question: String
    public var language: Language
    /// The retrieved passages, best first; `[n]` in an answer cites `passages[n - 1]`.
    public var passages: [RetrievedPassage]
    /// The question's index terms with their IDF.
    public var terms: Retriever.WeightedTerms
}

/// Writes an answer from retrieved passages, as a stream of text pieces.
///
/// The pieces joined are the answer; `[n]` in it cites the n-th passage. The stream is
/// pulled: a consumer that stops pulling (a paused job) stops the generator, and
/// cancelling the consuming task ends it (for a network backend, closes the request).
public protocol Generator: Sendable {
    func generate(_ input: GenerationInput) -> AsyncThrowingStream<String, any Error>
}

/// Thrown by a generator at the end of an answer that its own limit cut short (a language
/// model's token limit): the pieces so far are the answer, and it ends with `reason`.
public struct GenerationStopped: Error, Sendable {
    public var reason: FinishReason

    public init(reason: FinishReason) {
        self.reason = reason
    }
}

/// Why an answer ended.
public enum FinishReason: String, Codable, Sendable {
    case stop
    case noContext = "no_context"
    case cancelled
    case length
    case error
}

/// A citation of a found passage in an answer.
public struct Citation: Codable, Sendable, Equatable {
    public var index: Int
    public var docID: String
    public var title: String

    enum CodingKeys: String, CodingKey {
        case index
        case docID = "doc_id"
        case title
    }

    /// The `[n]` markers of `answer` that point at one of `passages`, in order of first use.
    public static func cited(in answer: String, passages: [RetrievedPassage]) -> [Citation] {
        var seen = Set<Int>()
        var citations: [Citation] = []
        var scalars = answer.unicodeScalars[...]
        while let open = scalars.firstIndex(of: "[") {
            scalars = scalars[scalars.index(after: open)...]
            let digits = scalars.prefix { $0.properties.numericType == .decimal && $0.isASCII }
            let after = scalars.index(scalars.startIndex, offsetBy: digits.count)
            guard !digits.isEmpty, after < scalars.endIndex, scalars[after] == "]",
                let n = Int(String(String.UnicodeScalarView(digits))), (1...passages.count).contains(n)
            else { continue }
            if seen.insert(n).inserted {
                let hit = passages[n - 1].hit
                citations.append(Citation(index: n, docID: hit.docID, title: hit.title))
            }
        }
        return citations
    }
}

/// What the built-in generator says when no passage is relevant, in the question's language.
public enum NoContextAnswer {
    public static func text(for language: Language) -> String {
        switch language {
        case .english: "I could not find anything in the indexed documents that answers this question."
        case .chinese: "在已索引的文档中没有找到能回答这个问题的内容。"
        }
    }
}

/// Splits an answer into the pieces streamed as `token` events: a word with the space
/// after it, or a few characters of CJK text (which has no spaces).
public enum AnswerPieces {
    public static func split(_ answer: String, cjkRun: Int = 3) -> [String] {
        var pieces: [String] = []
        var current = String.UnicodeScalarView()
        var cjkCount = 0
        var sawSpace = false
        func flush() {
            if !current.isEmpty { pieces.append(String(current)) }
            current = String.UnicodeScalarView()
            cjkCount = 0
            sawSpace = false
        }
        for scalar in answer.unicodeScalars {
            let isSpace = scalar.properties.isWhitespace
            if isSpace {
                current.append(scalar)
                sawSpace = true
                continue
            }
            if sawSpace { flush() }
            if scalar.isCJK || scalar.isCJKSentenceEnd || (0xFF00...0xFFEF).contains(scalar.value)
                || (0x3000...0x303F).contains(scalar.value)
            {
                if cjkCount == 0 && !current.isEmpty { flush() }
                current.append(scalar)
                cjkCount += 1
                if cjkCount >= cjkRun { flush() }
            } else {
                if cjkCount > 0 { flush() }
                current.append(scalar)
            }
        }
        flush()
        return pieces
    }
}
