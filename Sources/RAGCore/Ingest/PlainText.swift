/// Plain text: paragraphs are separated by blank lines; the first non-empty line is the
/// title; a lone short line without closing punctuation before a paragraph is a heading.
enum PlainText {
    static func extract(_ text: String) -> ExtractedText {
        let normalized = text.replacingCRLF
        var paragraphs: [[Substring]] = []
        var current: [Substring] = []
        for line in normalized.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.allSatisfy({ $0.isWhitespace }) {
                if !current.isEmpty { paragraphs.append(current) }
                current = []
            } else {
                current.append(line)
            }
        }
        if !current.isEmpty { paragraphs.append(current) }

        let title = paragraphs.first?.first.map { String($0).trimmed }
        var builder = TextBuilder()
        for (index, lines) in paragraphs.enumerated() {
            let isLast = index == paragraphs.count - 1
            if lines.count == 1, !isLast, looksLikeHeading(lines[0]) {
                builder.beginHeading(level: index == 0 ? 1 : 2)
                builder.append(String(lines[0]))
                builder.endHeading()
                continue
            }
            if lines.count > 1, lines.allSatisfy({ $0.hasPrefix("- ") || $0.hasPrefix("* ") || $0.hasPrefix("• ") }) {
                for line in lines {
                    builder.append(String(line.dropFirst(2)))
                    builder.endBlock()
                }
                continue
            }
            builder.append(lines.joined(separator: " "))
            builder.endBlock()
        }
        return ExtractedText(title: title, sections: builder.finish())
    }

    private static func looksLikeHeading(_ line: Substring) -> Bool {
        let t = line.trimmingWhitespace
        guard !t.isEmpty, TextMeasure.words(in: t) <= 12, let last = t.unicodeScalars.last else { return false }
        return !".。!！?？:：,，;；)）]".unicodeScalars.contains(last)
    }
}

extension StringProtocol where SubSequence == Substring {
    var trimmingWhitespace: Substring {
        let s = self[...]
        guard let first = s.firstIndex(where: { !$0.isWhitespace }) else { return s[s.endIndex...] }
        let last = s.lastIndex(where: { !$0.isWhitespace })!
        return Substring(s[first...last])
    }

    /// Windows and old Mac line endings as `\n`.
    var replacingCRLF: String {
        guard contains("\r") else { return String(self) }
        return String(self).split(separator: "\r\n", omittingEmptySubsequences: false).joined(separator: "\n")
            .split(separator: "\r", omittingEmptySubsequences: false).joined(separator: "\n")
    }
}
