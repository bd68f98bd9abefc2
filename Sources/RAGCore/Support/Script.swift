import CSQLiteFTS

extension Unicode.Scalar {
    /// Chinese, Japanese or Korean: the characters the index splits into bigrams. The
    /// same table as the FTS5 tokenizer's, so query and index agree.
    @inline(__always)
    var isCJK: Bool {
        value >= 0x3005 && rag_fts_is_cjk(value) != 0
    }

    /// Sentence-ending punctuation of Chinese and Japanese (no space follows it).
    var isCJKSentenceEnd: Bool {
        switch value {
        case 0x3002, 0xFF01, 0xFF1F, 0xFF1B: true  // 。！？；
        default: false
        }
    }
}

extension StringProtocol {
    /// Whether the text contains any Chinese, Japanese or Korean character.
    var containsCJK: Bool {
        unicodeScalars.contains { $0.isCJK }
    }
}

/// The language an answer should be written in, decided by the question's script.
public enum Language: String, Sendable {
    case english = "en"
    case chinese = "zh"

    public init(detectingIn text: some StringProtocol) {
        var cjk = 0
        var latin = 0
        for scalar in text.unicodeScalars {
            if scalar.isCJK {
                cjk += 1
            } else if scalar.properties.isAlphabetic {
                latin += 1
            }
        }
        // Two CJK characters carry about as much as a short English word.
        self = cjk > 0 && cjk * 2 >= latin / 3 ? .chinese : .english
    }
}

/// How much text a string holds, in English-word equivalents: each CJK character
/// counts half a word, so window sizes mean the same in both languages.
enum TextMeasure {
    static func words(in text: some StringProtocol) -> Double {
        var count = 0.0
        var inWord = false
        for scalar in text.unicodeScalars {
            if scalar.isCJK {
                count += 0.5
                inWord = false
            } else if scalar.properties.isWhitespace {
                inWord = false
            } else if !inWord {
                count += 1
                inWord = true
            }
        }
        return count
    }
}
