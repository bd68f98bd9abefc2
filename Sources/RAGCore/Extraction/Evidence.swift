import Foundation

/// A value as the document shows it: its text, and the link targets and machine-readable
/// times inside it (`<a href>`, `<time datetime>`), which often say it better.
struct ValueText: Sendable {
    var text: String
    var links: [String] = []
    var times: [String] = []

    static func merged(_ values: some Collection<ValueText>) -> ValueText {
        ValueText(
            text: values.map(\.text).filter { !$0.isEmpty }.joined(separator: "\n"), links: values.flatMap(\.links),
            times: values.flatMap(\.times))
    }
}

/// A label and the value it names: a `label: value` line, a `<dt>`/`<dd>` pair, a table
/// row with a header cell, a `<meta>`, an XML element, a heading and what follows it.
struct Field: Sendable {
    var label: String
    var key: LabelKey
    var value: ValueText
    /// Document order across all segments.
    var position: Int
    /// How much a value found here is trusted: lower in navigation and footers.
    var weight: Double
    var segment: Int

    init(label: String, value: ValueText, position: Int, weight: Double, segment: Int) {
        self.label = label
        self.key = LabelKey(label)
        self.value = value
        self.position = position
        self.weight = weight
        self.segment = segment
    }

    var snippet: String { Snippet.make(label.isEmpty ? value.text : "\(label): \(value.text)") }
}

/// A part of the document that has a label: a heading and what it heads, an XML element.
struct Section: Sendable {
    var label: String
    var key: LabelKey
    var range: Range<Int>
    var weight: Double
}

/// A table with a header row: repeated records, one per row.
struct RecordTable: Sendable {
    struct Row: Sendable {
        var cells: [ValueText]
        var position: Int
    }

    var headers: [String]
    var headerKeys: [LabelKey]
    var rows: [Row]
    /// The caption and the heading before the table.
    var context: [LabelKey]
    var position: Int
    var weight: Double
    var segment: Int
}

/// Repeated items: `<li>`s, `- ` lines, same-named XML siblings.
struct ItemList: Sendable {
    struct Item: Sendable {
        var value: ValueText
        /// The item's own part of the document, for looking inside it.
        var range: Range<Int>
    }

    /// What introduces the list: a heading or `Label:` line right before it, or the name
    /// of the repeated XML element.
    var labels: [LabelKey]
    var items: [Item]
    var position: Int
    var weight: Double
    var segment: Int
}

/// A candidate for a document's (or a part's) name: a main heading, `og:title`, `<title>`.
struct TitleCandidate: Sendable {
    var text: String
    var position: Int
    var weight: Double
    var segment: Int
}

/// A run of text, for values that identify themselves without a label (an email).
struct TextBlock: Sendable {
    var value: ValueText
    var position: Int
    var weight: Double
    var segment: Int
}

/// Everything the rule extractor reads from the content, in document order. Positions are
/// global across segments, so a scope is a range of positions.
struct Evidence: Sendable {
    var fields: [Field] = []
    var sections: [Section] = []
    var tables: [RecordTable] = []
    var lists: [ItemList] = []
    var titles: [TitleCandidate] = []
    var blocks: [TextBlock] = []
    /// One past the last position used.
    var end = 0
    /// Where each segment's positions start.
    var segmentStarts: [Int] = []

    static func build(_ segments: [ContentSegment]) -> Evidence {
        var all = Evidence()
        for (i, segment) in segments.enumerated() {
            all.segmentStarts.append(all.end)
            let part: Evidence
            switch segment.kind {
            case .html:
                part = html(MarkupTree.html(segment.content), segment: i, offset: all.end)
            case .markdown:
                part = html(MarkupTree.html(MarkdownSource.html(segment.content)), segment: i, offset: all.end)
            case .xml:
                if let tree = MarkupTree.xml(segment.content) {
                    part =
                        tree.dialect == .xml
                        ? XMLEvidence(tree: tree, segment: i, offset: all.end).build()
                        : html(tree, segment: i, offset: all.end)
                } else {
                    // XML too broken to parse strictly: the HTML parser recovers its text.
                    part = html(MarkupTree.html(segment.content), segment: i, offset: all.end)
                }
            case .text:
                part = TextEvidence(text: segment.content, segment: i, offset: all.end).build()
            }
            all.fields += part.fields
            all.sections += part.sections
            all.tables += part.tables
            all.lists += part.lists
            all.titles += part.titles
            all.blocks += part.blocks
            all.end = max(all.end, part.end) + 1
        }
        // Stable: fields at one position keep the order they were read in.
        all.fields = all.fields.enumerated().sorted {
            ($0.element.position, $0.offset) < ($1.element.position, $1.offset)
        }.map(\.element)
        return all
    }

    private static func html(_ tree: MarkupTree, segment: Int, offset: Int) -> Evidence {
        var builder = HTMLEvidence(tree: tree, segment: segment, offset: offset)
        return builder.build()
    }

    /// The innermost section containing a position.
    func section(containing position: Int) -> Section? {
        var best: Section?
        for section in sections where section.range.contains(position) && section.range.lowerBound < position {
            if best == nil || section.range.count < best!.range.count { best = section }
        }
        return best
    }
}

enum Snippet {
    static func make(_ text: String) -> String {
        let collapsed = TextClean.collapse(text)
        guard collapsed.count > 200 else { return collapsed }
        return String(collapsed.prefix(199)) + "…"
    }
}

/// Whitespace handling shared by the evidence builders. It runs over every text node of
/// every document, so it classifies scalars itself instead of asking Unicode properties.
enum TextClean {
    @inline(__always)
    static func isSpace(_ value: UInt32) -> Bool {
        switch value {
        case 9...13, 32, 0x85, 0xA0, 0x1680, 0x2000...0x200B, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF: true
        default: false
        }
    }

    /// Collapses runs of whitespace (and newlines) to single spaces, trimmed.
    static func collapse(_ text: some StringProtocol) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if isSpace(scalar.value) {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(32) }
                pendingSpace = false
                if scalar.isASCII {
                    out.append(UInt8(scalar.value))
                } else {
                    UTF8.encode(scalar) { out.append($0) }
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func trim(_ text: some StringProtocol) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0.value) }),
            let last = scalars.lastIndex(where: { !isSpace($0.value) })
        else { return "" }
        return String(text[first...last])
    }
}

extension Unicode.Scalar {
    /// Whitespace, without a Unicode property lookup.
    var isExtractionSpace: Bool { TextClean.isSpace(value) }

    /// A letter, with a fast path for ASCII.
    var isWordLetter: Bool {
        if isASCII { return ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
        return properties.isAlphabetic
    }

    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
