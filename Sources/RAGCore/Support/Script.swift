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
    /// Works on UTF-8 bytes: it runs over every block of every document.
    static func words(in text: some StringProtocol) -> Double {
        var text = String(text)
        return text.withUTF8 { words(utf8: $0) }
    }

    static func words(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Double {
        var halfWords = 0
        var inWord = false
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 {
                if b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D || b == 0x0C {
                    inWord = false
                } else if !inWord {
                    halfWords += 2
                    inWord = true
                }
                i += 1
                continue
            }
            // Multi-byte: decode only what can be CJK or a space.
            let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
            var scalar: UInt32 = 0
            if length == 3, i + 2 < n {
                scalar = UInt32(b & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F)
            } else if length == 4, i + 3 < n {
                scalar = UInt32(b & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12 | UInt32(bytes[i + 2] & 0x3F) << 6
                    | UInt32(bytes[i + 3] & 0x3F)
            } else if length == 2, i + 1 < n {
                scalar = UInt32(b & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)
            }
            if scalar >= 0x3005 && rag_fts_is_cjk(scalar) != 0 {
                halfWords += 1
                inWord = false
            } else if scalar == 0xA0 || scalar == 0x3000 || (scalar >= 0x2000 && scalar <= 0x200A) {
                inWord = false
            } else if !inWord {
                halfWords += 2
                inWord = true
            }
            i += length
        }
        return Double(halfWords) / 2
    }
}
