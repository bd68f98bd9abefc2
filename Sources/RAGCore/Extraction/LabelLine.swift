/// `Label: value` and `标签：值` lines, the commonest way documents pair a name with a
/// value. A label is short and is not a sentence, so a colon inside prose, a time or a URL
/// does not make one.
enum LabelLine {
    /// The label and where the value starts in `line`; `nil` if the line has no label.
    static func split(_ line: Substring) -> (label: String, valueStart: String.Index)? {
        var labelHasCJK = false
        var index = line.startIndex
        var count = 0
        while index < line.endIndex {
            let scalar = line.unicodeScalars[index]
            let next = line.unicodeScalars.index(after: index)
            if scalar == "：" { return validated(line[..<index], valueStart: next) }
            if scalar == ":" {
                let following = next < line.endIndex ? line.unicodeScalars[next] : nil
                let previous = index > line.startIndex ? line.unicodeScalars[line.unicodeScalars.index(before: index)] : nil
                let betweenDigits =
                    following.map { ("0"..."9").contains($0) } == true && previous.map { ("0"..."9").contains($0) } == true
                if betweenDigits {
                    // A time such as 9:00 inside the label is not its end.
                } else if following == nil || following!.isExtractionSpace || labelHasCJK {
                    return validated(line[..<index], valueStart: next)
                } else {
                    return nil
                }
            }
            if scalar.isCJK { labelHasCJK = true }
            count += 1
            if count > 60 { return nil }
            index = next
        }
        return nil
    }

    /// Every label of a line that may hold several, as text joined from separate lines
    /// does ("Date: 12 March 2026 Start time: 18:30"): a later label is a short phrase
    /// starting with a capital (or a Chinese term after a space) right before a colon.
    static func splitAll(_ line: Substring) -> [(label: String, value: Range<String.Index>)] {
        guard var (label, start) = split(line) else { return [] }
        var found: [(label: String, value: Range<String.Index>)] = []
        var from = start
        while let next = embedded(in: line, from: from) {
            if next.labelStart > start {
                found.append((label, start..<next.labelStart))
                (label, start) = (next.label, next.valueStart)
            }
            from = next.valueStart
        }
        found.append((label, start..<line.endIndex))
        return found
    }

    private static func embedded(in line: Substring, from: String.Index) -> (labelStart: String.Index, label: String, valueStart: String.Index)? {
        let scalars = line.unicodeScalars
        func before(_ i: String.Index) -> Unicode.Scalar { scalars[scalars.index(before: i)] }
        var index = from
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let next = scalars.index(after: index)
            defer { index = next }
            if scalar == "：" {
                // A Chinese label after a space: "有限公司 地址：…".
                var labelStart = index
                while labelStart > from, before(labelStart).isCJK { labelStart = scalars.index(before: labelStart) }
                guard labelStart < index, labelStart > from, before(labelStart).isExtractionSpace,
                    scalars.distance(from: labelStart, to: index) <= 8,
                    let (label, _) = validated(line[labelStart..<index], valueStart: next)
                else { continue }
                return (labelStart, label, next)
            }
            guard scalar == ":", next == scalars.endIndex || scalars[next].isExtractionSpace, index > from else { continue }
            // The words before the colon, nearest first; the label is the shortest run of
            // them that starts with a capital.
            var wordEnd = index
            var labelStart: String.Index?
            for _ in 0..<4 {
                var wordStart = wordEnd
                while wordStart > from, !before(wordStart).isExtractionSpace { wordStart = scalars.index(before: wordStart) }
                let word = scalars[wordStart..<wordEnd]
                guard !word.isEmpty, wordStart > from, word.allSatisfy({ $0.isWordLetter || $0 == "-" }) else { break }
                if LabelText.isUpper(word.first!) {
                    labelStart = wordStart
                    break
                }
                wordEnd = scalars.index(before: wordStart)
            }
            guard let labelStart, let (label, _) = validated(line[labelStart..<index], valueStart: next) else { continue }
            return (labelStart, label, next)
        }
        return nil
    }

    private static let forbidden = Set("—–!?;。！？；,，\"“”<>=@|•·".unicodeScalars)

    private static func validated(_ raw: Substring, valueStart: String.Index) -> (String, String.Index)? {
        let label = TextClean.collapse(raw)
        guard !label.isEmpty, label.count <= 40 else { return nil }
        guard !label.unicodeScalars.contains(where: { forbidden.contains($0) }) else { return nil }
        let lower = label.lowercased()
        guard !lower.utf8.contains(subsequence: ". ".utf8), !lower.utf8.contains(subsequence: "http".utf8),
            !lower.hasPrefix("www.")
        else { return nil }
        guard label.unicodeScalars.contains(where: \.isWordLetter) else { return nil }
        guard label.split(separator: " ").count <= 6 else { return nil }
        if let first = label.unicodeScalars.first, "-*+#>".unicodeScalars.contains(first) { return nil }
        return (label, valueStart)
    }
}

extension Sequence where Element: Equatable {
    /// Whether the elements contain `part` as a contiguous run (byte search without Foundation).
    func contains(subsequence part: some Collection<Element>) -> Bool {
        let items = Array(self)
        let needle = Array(part)
        guard !needle.isEmpty else { return true }
        guard items.count >= needle.count else { return false }
        for start in 0...(items.count - needle.count) where items[start] == needle[0] {
            if items[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
