/// Splits sections into passages: windows of about `target` words (CJK characters count
/// half a word each) that never cross a heading and break on sentence boundaries.
struct PassageSplitter: Sendable {
    var target: Double = 200
    var maximum: Double = 300
    /// A last window shorter than this joins the previous one when the two fit in `maximum + minimum`.
    var minimum: Double = 60

    private struct Unit {
        var text: Substring
        var words: Double
        /// Whether the unit starts a new block (paragraph, list item, code block).
        var startsBlock: Bool
    }

    func split(_ sections: [TextSection]) -> [Passage] {
        var passages: [Passage] = []
        for section in sections {
            let heading = section.headingPath.joined(separator: " > ")
            var windows: [[Unit]] = []
            var current: [Unit] = []
            var words = 0.0
            for unit in units(of: section) {
                if !current.isEmpty && (words + unit.words > maximum || words >= target) {
                    windows.append(current)
                    current = []
                    words = 0
                }
                current.append(unit)
                words += unit.words
            }
            if !current.isEmpty {
                if words < minimum, let last = windows.last,
                    last.reduce(0, { $0 + $1.words }) + words <= maximum + minimum
                {
                    windows[windows.count - 1].append(contentsOf: current)
                } else {
                    windows.append(current)
                }
            }
            for window in windows {
                passages.append(Passage(ordinal: passages.count + 1, heading: heading, text: join(window)))
            }
        }
        return passages
    }

    private func units(of section: TextSection) -> [Unit] {
        var units: [Unit] = []
        for block in section.blocks {
            let words = TextMeasure.words(in: block)
            if words <= maximum {
                units.append(Unit(text: block[...], words: words, startsBlock: true))
                continue
            }
            var first = true
            for sentence in Sentences.split(block) {
                for piece in pieces(of: sentence) {
                    units.append(Unit(text: piece, words: TextMeasure.words(in: piece), startsBlock: first))
                    first = false
                }
            }
        }
        return units
    }

    /// A sentence longer than the window, cut into window-sized pieces at spaces (or
    /// anywhere in CJK text, which has no spaces).
    private func pieces(of sentence: Substring) -> [Substring] {
        guard TextMeasure.words(in: sentence) > maximum else { return [sentence] }
        var result: [Substring] = []
        var start = sentence.startIndex
        var words = 0.0
        var inWord = false
        var lastSpace: String.Index?
        var i = sentence.startIndex
        while i < sentence.endIndex {
            let scalar = sentence.unicodeScalars[i]
            if scalar.isCJK {
                words += 0.5
                inWord = false
            } else if scalar.properties.isWhitespace {
                inWord = false
                lastSpace = i
            } else if !inWord {
                words += 1
                inWord = true
            }
            if words >= target {
                let cut = (lastSpace.map { $0 > start } ?? false) && !scalar.isCJK ? lastSpace! : sentence.unicodeScalars.index(after: i)
                result.append(sentence[start..<cut])
                start = cut
                while start < sentence.endIndex, sentence.unicodeScalars[start].properties.isWhitespace {
                    start = sentence.unicodeScalars.index(after: start)
                }
                i = start
                words = 0
                inWord = false
                lastSpace = nil
                continue
            }
            i = sentence.unicodeScalars.index(after: i)
        }
        if start < sentence.endIndex { result.append(sentence[start...]) }
        return result
    }

    private func join(_ units: [Unit]) -> String {
        var text = ""
        for unit in units {
            if !text.isEmpty {
                if unit.startsBlock {
                    text += "\n"
                } else if !(text.unicodeScalars.last!.isCJK || text.unicodeScalars.last!.isCJKSentenceEnd) {
                    text += " "
                }
            }
            text += unit.text
        }
        return text
    }
}
