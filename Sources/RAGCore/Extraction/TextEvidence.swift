import Ink

/// Reads plain text line by line: `Label: value` lines, headings (underlined with `===` or
/// `---`, or `#`), `- ` and `1.` lists, `a | b` table rows, a short term on a line of its
/// own followed by its value (what definition lists become as text), and paragraphs.
struct TextEvidence {
    let text: String
    let segment: Int
    let offset: Int

    private enum Line {
        case blank
        case underline
        case heading(String, level: Int)
        case item(String)
        case row([String])
        case plain(String)
    }

    func build() -> Evidence {
        var evidence = Evidence()
        let raw = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        let lines = classify(raw)

        var headings: [(text: String, level: Int, position: Int)] = []
        var list: (label: String?, items: [ItemList.Item], position: Int)?
        var lastNonBlank: Line?
        var pendingLabel: (label: String, position: Int)?
        var afterHeading: (text: String, position: Int)?

        var rows: [(cells: [String], position: Int)] = []
        func closeTable() {
            defer { rows = [] }
            guard !rows.isEmpty else { return }
            if rows.allSatisfy({ $0.cells.count == 2 }) {
                for row in rows where !row.cells[0].isEmpty { field(row.cells[0], row.cells[1], at: row.position) }
            }
            guard rows.count >= 2 else { return }
            let headers = rows[0].cells
            evidence.tables.append(
                RecordTable(
                    headers: headers, headerKeys: headers.map(LabelKey.init),
                    rows: rows.dropFirst().map { RecordTable.Row(cells: $0.cells.map { ValueText(text: $0) }, position: $0.position) },
                    context: headings.last.map { [LabelKey($0.text)] } ?? [], position: rows[0].position, weight: 1,
                    segment: segment))
        }
        func closeList() {
            if let open = list, !open.items.isEmpty {
                evidence.lists.append(
                    ItemList(
                        labels: open.label.map { [LabelKey($0)] } ?? [], items: open.items, position: open.position,
                        weight: 1, segment: segment))
            }
            list = nil
        }
        func field(_ label: String, _ value: String, at position: Int, weight: Double = 1) {
            evidence.fields.append(
                Field(label: label, value: ValueText(text: value), position: position, weight: weight, segment: segment))
        }
        /// The paragraph starting at line `i`: lines up to a blank one.
        func paragraph(from i: Int) -> String {
            var parts: [String] = []
            var j = i
            while j < lines.count, case .plain(let text) = lines[j] {
                parts.append(text)
                j += 1
            }
            return TextClean.collapse(parts.joined(separator: " "))
        }

        for (i, line) in lines.enumerated() {
            let position = offset + i
            if case .row = line {} else { closeTable() }
            switch line {
            case .row(let cells):
                closeList()
                rows.append((cells, position))
                evidence.blocks.append(
                    TextBlock(value: ValueText(text: cells.joined(separator: " | ")), position: position, weight: 1, segment: segment))
            case .blank, .underline:
                continue
            case .heading(let text, let level):
                closeList()
                headings.append((text, level, position))
                if level == 1 || evidence.titles.isEmpty {
                    evidence.titles.append(
                        TitleCandidate(text: text, position: position, weight: level == 1 ? 0.6 : 0.5, segment: segment))
                }
                evidence.blocks.append(TextBlock(value: ValueText(text: text), position: position, weight: 1, segment: segment))
                pendingLabel = nil
                afterHeading = (text, position)
            case .item(let text):
                if list == nil {
                    var label: String?
                    if case .heading(let heading, _) = lastNonBlank { label = heading }
                    if let pending = pendingLabel { label = pending.label }
                    list = (label, [], position)
                }
                list!.items.append(ItemList.Item(value: ValueText(text: text), range: position..<(position + 1)))
                evidence.blocks.append(TextBlock(value: ValueText(text: text), position: position, weight: 1, segment: segment))
                for (label, range) in LabelLine.splitAll(Substring(text)) {
                    let value = TextClean.collapse(text[range])
                    if !value.isEmpty { field(label, value, at: position) }
                }
                pendingLabel = nil
                afterHeading = nil
            case .plain(let text):
                if case .item = lastNonBlank, raw[i].first?.isWhitespace == true, list != nil {
                    // An indented line continues the list item above it.
                    let last = list!.items.count - 1
                    list!.items[last].value.text += " " + text
                    list!.items[last].range = list!.items[last].range.lowerBound..<(position + 1)
                    continue
                }
                closeList()
                evidence.blocks.append(TextBlock(value: ValueText(text: text), position: position, weight: 1, segment: segment))
                let labelled = LabelLine.splitAll(Substring(text))
                if let pending = pendingLabel, labelled.isEmpty {
                    field(pending.label, paragraph(from: i), at: pending.position)
                }
                pendingLabel = nil
                for (label, range) in labelled {
                    let value = TextClean.collapse(text[range])
                    if value.isEmpty { pendingLabel = (label, position) } else { field(label, value, at: position) }
                }
                if labelled.isEmpty, let heading = afterHeading, case .heading = lastNonBlank {
                    field(heading.text, paragraph(from: i), at: position, weight: 0.7)
                } else if labelled.isEmpty, Self.isTerm(text), i + 1 < lines.count, case .plain(let next) = lines[i + 1],
                    LabelLine.splitAll(Substring(next)).isEmpty
                {
                    field(text, next, at: position, weight: 0.75)
                }
                afterHeading = nil
            }
            lastNonBlank = line
        }
        closeList()
        closeTable()

        for (i, heading) in headings.enumerated() {
            var end = offset + lines.count
            for next in headings[(i + 1)...] where next.level <= heading.level {
                end = next.position
                break
            }
            evidence.sections.append(
                Section(label: heading.text, key: LabelKey(heading.text), range: heading.position..<end, weight: 1))
        }
        if evidence.titles.isEmpty, let first = lines.firstIndex(where: { if case .plain = $0 { true } else { false } }),
            case .plain(let text) = lines[first]
        {
            evidence.titles.append(TitleCandidate(text: text, position: offset + first, weight: 0.45, segment: segment))
        }
        evidence.end = offset + lines.count
        return evidence
    }

    private func classify(_ raw: [Substring]) -> [Line] {
        var lines: [Line] = []
        lines.reserveCapacity(raw.count)
        for (i, line) in raw.enumerated() {
            let text = TextClean.collapse(line)
            if text.isEmpty {
                lines.append(.blank)
                continue
            }
            if Self.isUnderline(text), i > 0, case .plain(let previous) = lines[i - 1] {
                lines[i - 1] = .heading(previous, level: text.first == "=" ? 1 : 2)
                lines.append(.underline)
                continue
            }
            if text.hasPrefix("#") {
                let level = text.prefix { $0 == "#" }.count
                let rest = text.dropFirst(level)
                if level <= 6, rest.first == " " {
                    var heading = TextClean.collapse(rest)
                    while heading.hasSuffix("#") { heading.removeLast() }
                    lines.append(.heading(TextClean.collapse(heading), level: level))
                    continue
                }
            }
            if let heading = Self.flattenedHeading(text) {
                lines.append(heading)
                continue
            }
            if text.contains("|") {
                if text.allSatisfy({ "|-: ".contains($0) }) {
                    lines.append(.underline)
                    continue
                }
                var cells = text.split(separator: "|", omittingEmptySubsequences: false).map(TextClean.collapse)
                if text.hasPrefix("|") { cells.removeFirst() }
                if text.hasSuffix("|"), !cells.isEmpty { cells.removeLast() }
                if cells.count >= 2 {
                    lines.append(.row(cells))
                    continue
                }
            }
            if let item = Self.listItem(text) {
                lines.append(.item(item))
                continue
            }
            lines.append(.plain(text))
        }
        return lines
    }

    /// A heading and its underline joined on one line, as text joined from lines comes.
    private static func flattenedHeading(_ text: String) -> Line? {
        for (mark, level) in [("=", 1), ("-", 2)] {
            let underline = text.reversed().prefix { String($0) == mark }.count
            guard underline >= 3, underline < text.count else { continue }
            let head = text.dropLast(underline)
            guard head.last == " " else { continue }
            let title = TextClean.collapse(head)
            if !title.isEmpty { return .heading(title, level: level) }
        }
        return nil
    }

    /// A short name on a line of its own: a term whose value is the next line.
    private static func isTerm(_ text: String) -> Bool {
        guard text.count <= 30, text.contains(where: \.isLetter), let last = text.last,
            !".。!?！？:：,，;；".contains(last)
        else { return false }
        return text.split(separator: " ").count <= 4
    }

    private static func isUnderline(_ text: String) -> Bool {
        text.count >= 3 && (text.allSatisfy { $0 == "=" } || text.allSatisfy { $0 == "-" })
    }

    /// The text of a `- item`, `* item`, `• item`, `1. item` or `1) item` line.
    private static func listItem(_ text: String) -> String? {
        if let first = text.first, "-*•·+".contains(first), text.dropFirst().first == " " {
            return TextClean.collapse(text.dropFirst(2))
        }
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty, digits.count <= 3 {
            let rest = text.dropFirst(digits.count)
            if let marker = rest.first, marker == "." || marker == ")", rest.dropFirst().first == " " {
                return TextClean.collapse(rest.dropFirst(2))
            }
        }
        return nil
    }
}

/// Markdown goes through Ink to HTML, like ingest does. Ink joins a paragraph's lines, so
/// `Label: value` lines get hard breaks first to stay lines.
enum MarkdownSource {
    static func html(_ markdown: String) -> String {
        let lines = markdown.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        var out: [String] = []
        for (i, line) in lines.enumerated() {
            let next = i + 1 < lines.count ? lines[i + 1] : ""
            let nextIsText = !next.allSatisfy(\.isWhitespace)
            if nextIsText, !line.hasPrefix("#"), !line.hasPrefix("|"), LabelLine.split(line) != nil {
                out.append(String(line) + "  ")
            } else {
                out.append(String(line))
            }
        }
        return MarkdownParser().parse(out.joined(separator: "\n")).html
    }
}
