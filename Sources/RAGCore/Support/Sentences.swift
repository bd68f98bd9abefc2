/// Splits text into sentences, for passage windows and for the extractive generator.
enum Sentences {
    private static let abbreviations: Set<String> = [
        "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "prof", "fig", "no", "st", "cf", "al", "approx",
        "inc", "ltd", "jr", "sr", "eq", "sec", "ch", "vol", "p", "pp",
    ]

    /// The sentences of `text` in order; their concatenation (with separators dropped)
    /// covers the whole text. Line breaks always end a sentence.
    static func split(_ text: String) -> [Substring] {
        var result: [Substring] = []
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        var i = scalars.startIndex
        func emit(_ end: String.UnicodeScalarIndex) {
            let piece = Substring(scalars[start..<end])
            let trimmed = piece.drop { $0.isWhitespace }
            if !trimmed.isEmpty {
                var t = trimmed
                while let last = t.last, last.isWhitespace { t = t.dropLast() }
                result.append(t)
            }
        }
        while i < scalars.endIndex {
            let c = scalars[i]
            let next = scalars.index(after: i)
            if c == "\n" {
                emit(i)
                start = next
            } else if c.isCJKSentenceEnd {
                // Keep closing quotes and brackets with the sentence they end.
                var end = next
                while end < scalars.endIndex, "”’」』）)\"".unicodeScalars.contains(scalars[end]) {
                    end = scalars.index(after: end)
                }
                emit(end)
                start = end
                i = end
                continue
            } else if c == "." || c == "!" || c == "?" {
                var end = next
                while end < scalars.endIndex, "\"')]”’".unicodeScalars.contains(scalars[end]) {
                    end = scalars.index(after: end)
                }
                if end < scalars.endIndex, scalars[end] == " " || scalars[end] == "\t" {
                    var look = end
                    while look < scalars.endIndex, scalars[look] == " " || scalars[look] == "\t" {
                        look = scalars.index(after: look)
                    }
                    let startsSentence =
                        look == scalars.endIndex || scalars[look].properties.isUppercase
                        || scalars[look].properties.numericType != nil || scalars[look].isCJK
                        || "\"'(“‘[".unicodeScalars.contains(scalars[look])
                    if startsSentence && !(c == "." && endsWithAbbreviation(scalars[start..<i])) {
                        emit(end)
                        start = look
                        i = look
                        continue
                    }
                }
            }
            i = next
        }
        emit(scalars.endIndex)
        return result
    }

    private static func endsWithAbbreviation(_ text: Substring.UnicodeScalarView) -> Bool {
        var word = ""
        for scalar in text.reversed() {
            if scalar == " " || scalar == "(" || scalar == "\t" { break }
            word.unicodeScalars.insert(scalar, at: word.unicodeScalars.startIndex)
            if word.unicodeScalars.count > 8 { return false }
        }
        let lower = word.lowercased()
        if abbreviations.contains(lower) { return true }
        // Single capital letters are initials ("J. Smith"); dotted runs are abbreviations ("U.S").
        if word.unicodeScalars.count == 1, word.unicodeScalars.first!.properties.isUppercase { return true }
        return lower.contains(".")
    }
}
