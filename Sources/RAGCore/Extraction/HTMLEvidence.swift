/// Reads an HTML tree in one pass: blocks of text in document order, each weighted by
/// where it sits (main content, or navigation, header, footer, aside), and from them the
/// label lines, definition lists, tables, lists, headings and `<meta>`s.
struct HTMLEvidence {
    let tree: MarkupTree
    let segment: Int
    let offset: Int

    init(tree: MarkupTree, segment: Int, offset: Int) {
        self.tree = tree
        self.segment = segment
        self.offset = offset
        hasMain = tree.nodes.contains { $0.name == "main" || $0.attributes["role"] == "main" }
    }

    static let peripheralRoles: Set<String> = ["navigation", "complementary", "banner", "contentinfo", "search"]
    static let metaPrefixes: Set<String> = [
        "og", "twitter", "article", "product", "dc", "dcterms", "fb", "al", "book", "profile", "business", "music", "video",
    ]

    private struct Block {
        var text: String
        var value: ValueText
        var position: Int
        var weight: Double
        var headingLevel: Int
        /// For a heading: where the sectioning element around it ends.
        var limit: Int
        /// A `Label:` line with nothing after it: its value is what comes next.
        var pendingLabel: String?
    }

    private struct Open {
        var index: Int
        var tag: Tag
        var blockStart: Int
        var peripheral = false
        var main = false
        var content = false
    }

    private struct Cell {
        var header: Bool
        var value: ValueText
    }

    private struct TableState {
        var rows: [(cells: [Cell], position: Int)] = []
        var row: [Cell] = []
        var rowPosition = 0
        var headRows = 0
        var caption: String?
        var heading: String?
        var position: Int
        var weight: Double
    }

    private struct ListState {
        var items: [ItemList.Item] = []
        var label: String?
        var position: Int
        var weight: Double
    }

    private let hasMain: Bool
    private var evidence = Evidence()
    private var blocks: [Block] = []
    private var raw = ""
    private var links: [(String, Int)] = []
    private var times: [(String, Int)] = []
    private var firstNode = -1
    private var open: [Open] = []
    private var peripheralDepth = 0
    private var mainDepth = 0
    private var contentDepth = 0
    private var preDepth = 0
    private var tables: [TableState] = []
    private var lists: [ListState] = []
    private var definitionLabels: [String?] = []
    private var pending: (label: String, position: Int, weight: Double)?

    private var weight: Double { peripheralDepth > 0 || (hasMain && mainDepth == 0) ? 0.6 : 1 }

    mutating func build() -> Evidence {
        var skipUntil = 0
        for i in tree.nodes.indices {
            while let last = open.last, tree.nodes[last.index].end <= i { close(open.removeLast()) }
            guard i >= skipUntil else { continue }
            let node = tree.nodes[i]
            if !node.isElement {
                append(text: node.text, at: i)
                continue
            }
            if let skip = start(i) { skipUntil = skip }
        }
        while let last = open.popLast() { close(last) }
        flush(level: 0)
        finishSections()
        evidence.end = offset + tree.nodes.count
        return evidence
    }

    // MARK: - Walking

    private mutating func append(text: String, at index: Int) {
        if preDepth > 0 || !text.utf8.contains(where: { $0 == 10 || $0 == 13 }) {
            raw += text
        } else {
            // Source line breaks are spaces in HTML; only <br> breaks a line.
            raw += String(decoding: text.utf8.map { $0 == 10 || $0 == 13 ? 32 : $0 }, as: UTF8.self)
        }
        if firstNode < 0, text.unicodeScalars.contains(where: { !$0.isExtractionSpace }) { firstNode = index }
    }

    /// Opens an element; returns where to resume when its subtree is skipped.
    private mutating func start(_ i: Int) -> Int? {
        let node = tree.nodes[i]
        let tag = Tag.of(node.name)
        switch tag {
        case .head:
            readHead(i)
            return node.end
        case .title:
            return node.end
        case .meta:
            readMeta(i)
            return node.end
        case .br:
            raw += "\n"
            return node.end
        case .label where node.attributes["for"] != nil:
            // The label of a form control names an input, not a value.
            return node.end
        default:
            break
        }
        if tag.isBlock { flush(level: 0) }
        var frame = Open(index: i, tag: tag, blockStart: blocks.count)
        let role = node.attributes.isEmpty ? "" : node.attributes["role"] ?? ""
        if tag == .main || role == "main" {
            mainDepth += 1
            frame.main = true
        }
        if tag == .main || tag == .article || tag == .section {
            contentDepth += 1
            frame.content = true
        }
        if tag == .nav || tag == .aside || (!role.isEmpty && Self.peripheralRoles.contains(role))
            || ((tag == .header || tag == .footer) && contentDepth == 0)
        {
            peripheralDepth += 1
            frame.peripheral = true
        }
        switch tag {
        case .pre: preDepth += 1
        case .a: if let href = node.attributes["href"], !href.isEmpty { links.append((href, raw.utf8.count)) }
        case .time: if let datetime = node.attributes["datetime"], !datetime.isEmpty { times.append((datetime, raw.utf8.count)) }
        case .table: tables.append(TableState(heading: lastHeading, position: offset + i, weight: weight))
        case .tr:
            if !tables.isEmpty {
                tables[tables.count - 1].row = []
                tables[tables.count - 1].rowPosition = offset + i
            }
        case .list:
            lists.append(ListState(label: immediateLabel(), position: offset + i, weight: weight))
            pending = nil
        case .dl: definitionLabels.append(nil)
        default: break
        }
        open.append(frame)
        return nil
    }

    private mutating func close(_ frame: Open) {
        let tag = frame.tag
        if tag.isBlock {
            if case .heading(let level) = tag { flush(level: level) } else { flush(level: 0) }
        }
        let produced = blocks[frame.blockStart...]
        var value: ValueText { ValueText.merged(produced.map(\.value)) }
        switch tag {
        case .pre: preDepth -= 1
        case .dt:
            if !definitionLabels.isEmpty { definitionLabels[definitionLabels.count - 1] = value.text }
        case .dd:
            let value = value
            if let label = definitionLabels.last ?? nil, !value.text.isEmpty || !value.links.isEmpty {
                addField(label, value, position: produced.first?.position ?? offset + frame.index, weight: weight)
            }
        case .cell(let header):
            if !tables.isEmpty { tables[tables.count - 1].row.append(Cell(header: header, value: value)) }
        case .tr:
            if !tables.isEmpty {
                let t = tables.count - 1
                if !tables[t].row.isEmpty { tables[t].rows.append((tables[t].row, tables[t].rowPosition)) }
                tables[t].row = []
            }
        case .thead:
            if !tables.isEmpty { tables[tables.count - 1].headRows = tables[tables.count - 1].rows.count }
        case .caption:
            if !tables.isEmpty { tables[tables.count - 1].caption = value.text }
        case .table:
            if let table = tables.popLast() { finish(table) }
        case .li:
            let value = value
            if !lists.isEmpty, !value.text.isEmpty {
                let range = (offset + frame.index)..<(offset + tree.nodes[frame.index].end)
                lists[lists.count - 1].items.append(.init(value: value, range: range))
            }
        case .list:
            if let list = lists.popLast(), !list.items.isEmpty {
                evidence.lists.append(
                    ItemList(
                        labels: list.label.map { [LabelKey($0)] } ?? [], items: list.items, position: list.position,
                        weight: list.weight, segment: segment))
            }
        case .dl:
            definitionLabels.removeLast()
        default:
            break
        }
        let attributes = tree.nodes[frame.index].attributes
        if !attributes.isEmpty, let property = attributes["itemprop"], attributes["itemscope"] == nil {
            let content =
                attributes["content"] ?? attributes["datetime"] ?? attributes["href"]
                ?? TextClean.collapse(tree.text(of: frame.index))
            if !content.isEmpty {
                var microdata = ValueText(text: content)
                if let href = attributes["href"] { microdata.links = [href] }
                if let datetime = attributes["datetime"] { microdata.times = [datetime] }
                addField(property, microdata, position: offset + frame.index, weight: 0.95 * weight)
            }
        }
        if frame.main { mainDepth -= 1 }
        if frame.content { contentDepth -= 1 }
        if frame.peripheral { peripheralDepth -= 1 }
    }

    // MARK: - Blocks

    private mutating func flush(level: Int) {
        let text = TextClean.collapse(raw)
        guard !text.isEmpty else {
            // Links that wrap blocks (a card link around a title) attach to the next block.
            raw = ""
            links = links.map { ($0.0, 0) }
            times = times.map { ($0.0, 0) }
            return
        }
        let position = offset + (firstNode >= 0 ? firstNode : 0)
        let value = ValueText(text: text, links: links.map(\.0), times: times.map(\.0))
        var block = Block(
            text: text, value: value, position: position, weight: weight, headingLevel: level, limit: sectionLimit())
        evidence.blocks.append(TextBlock(value: value, position: position, weight: weight, segment: segment))
        if level > 0 {
            pending = nil
            if level == 1 {
                evidence.titles.append(
                    TitleCandidate(text: text, position: position, weight: weight < 1 ? 0.4 : 0.6, segment: segment))
            }
        } else {
            block.pendingLabel = readLines(block)
            if let previous = blocks.last, previous.headingLevel > 0, block.pendingLabel == nil {
                // What follows a heading is what the heading names.
                addField(previous.text, value, position: position, weight: 0.7 * weight)
            }
        }
        blocks.append(block)
        raw = ""
        links = []
        times = []
        firstNode = -1
    }

    /// Label lines of a block; returns its label if the block is only `Label:`.
    private mutating func readLines(_ block: Block) -> String? {
        if let pending, LabelLine.split(Substring(raw)) == nil {
            addField(pending.label, block.value, position: pending.position, weight: min(pending.weight, block.weight))
            self.pending = nil
        }
        var labelOnly: String?
        var lineStart = raw.startIndex
        while lineStart <= raw.endIndex {
            let lineEnd = raw[lineStart...].firstIndex(of: "\n") ?? raw.endIndex
            let line = raw[lineStart..<lineEnd]
            for (label, range) in LabelLine.splitAll(line) {
                let from = raw.utf8.distance(from: raw.startIndex, to: range.lowerBound)
                let to = raw.utf8.distance(from: raw.startIndex, to: range.upperBound)
                let inValue = { (entry: (String, Int)) in entry.1 >= from && entry.1 <= to }
                let value = ValueText(
                    text: TextClean.collapse(raw[range]), links: links.filter(inValue).map(\.0),
                    times: times.filter(inValue).map(\.0))
                if value.text.isEmpty && value.links.isEmpty && value.times.isEmpty {
                    labelOnly = label
                } else {
                    addField(label, value, position: block.position, weight: block.weight)
                }
            }
            guard lineEnd < raw.endIndex else { break }
            lineStart = raw.index(after: lineEnd)
        }
        if let labelOnly { pending = (labelOnly, block.position, block.weight) }
        return labelOnly
    }

    private mutating func addField(_ label: String, _ value: ValueText, position: Int, weight: Double) {
        evidence.fields.append(Field(label: label, value: value, position: position, weight: weight, segment: segment))
    }

    /// What introduces a list: a heading or a `Label:` line just before it.
    private func immediateLabel() -> String? {
        guard let last = blocks.last else { return nil }
        if last.headingLevel > 0 { return last.text }
        return last.pendingLabel
    }

    private var lastHeading: String? { blocks.last(where: { $0.headingLevel > 0 })?.text }

    private func sectionLimit() -> Int {
        for frame in open.reversed() where frame.tag.isSectioning {
            return offset + tree.nodes[frame.index].end
        }
        return offset + tree.nodes.count
    }

    // MARK: - Structures

    private mutating func finish(_ table: TableState) {
        let rows = table.rows
        guard !rows.isEmpty else { return }
        var headerIndex: Int?
        if table.headRows > 0 {
            headerIndex = table.headRows - 1
        } else if rows[0].cells.count >= 2, rows[0].cells.allSatisfy(\.header) {
            headerIndex = 0
        }
        let data = rows[((headerIndex ?? -1) + 1)...]
        let columns = rows.map(\.cells.count).max() ?? 0
        for row in data where row.cells.count >= 2 {
            // A header cell that starts a row names the row's value; so does the first
            // column of a two-column table.
            let first = row.cells[0]
            if (first.header && !row.cells[1].header) || (columns == 2 && headerIndex == nil),
                !first.value.text.isEmpty
            {
                addField(first.value.text, row.cells[1].value, position: row.position, weight: table.weight)
            }
        }
        if let headerIndex, !data.isEmpty {
            let headers = rows[headerIndex].cells.map(\.value.text)
            guard headers.count >= 2 else { return }
            var context: [LabelKey] = []
            if let caption = table.caption { context.append(LabelKey(caption)) }
            if let heading = table.heading { context.append(LabelKey(heading)) }
            evidence.tables.append(
                RecordTable(
                    headers: headers, headerKeys: headers.map(LabelKey.init),
                    rows: data.map { RecordTable.Row(cells: $0.cells.map(\.value), position: $0.position) },
                    context: context, position: table.position, weight: table.weight, segment: segment))
        }
    }

    private mutating func finishSections() {
        let headings = blocks.filter { $0.headingLevel > 0 }
        for (i, heading) in headings.enumerated() {
            var end = heading.limit
            for next in headings[(i + 1)...] where next.headingLevel <= heading.headingLevel {
                end = min(end, next.position)
                break
            }
            guard end > heading.position else { continue }
            evidence.sections.append(
                Section(
                    label: heading.text, key: LabelKey(heading.text), range: heading.position..<end, weight: heading.weight))
        }
    }

    // MARK: - Head

    private mutating func readHead(_ index: Int) {
        for i in index..<tree.nodes[index].end where tree.nodes[i].isElement {
            switch tree.nodes[i].name {
            case "title":
                let text = TextClean.collapse(tree.text(of: i))
                if !text.isEmpty {
                    evidence.titles.append(
                        TitleCandidate(text: Self.pageTitle(text), position: offset + i, weight: 0.45, segment: segment))
                }
            case "meta":
                readMeta(i)
            default:
                break
            }
        }
    }

    private mutating func readMeta(_ index: Int) {
        let attributes = tree.nodes[index].attributes
        guard let name = attributes["property"] ?? attributes["name"] ?? attributes["itemprop"],
            let content = attributes["content"].map(TextClean.collapse), !content.isEmpty
        else { return }
        var parts = name.split(whereSeparator: { ":._".contains($0) }).map(String.init)
        if parts.count > 1, Self.metaPrefixes.contains(parts[0].lowercased()) { parts.removeFirst() }
        let label = parts.joined(separator: " ")
        var value = ValueText(text: content)
        if content.hasPrefix("http://") || content.hasPrefix("https://") { value.links = [content] }
        addField(label, value, position: offset + index, weight: 0.9)
        if label.lowercased() == "title" {
            evidence.titles.append(TitleCandidate(text: content, position: offset + index, weight: 0.55, segment: segment))
        }
    }

    /// A `<title>` without the site name that usually follows the page's own.
    static func pageTitle(_ title: String) -> String {
        for separator in [" | ", " – ", " — ", " - ", " · ", " :: "] {
            if let range = title.range(of: separator) {
                let head = TextClean.trim(title[..<range.lowerBound])
                if head.count >= 3 { return head }
            }
        }
        return title
    }
}

/// What an HTML element is to the walk, decided once per element from its name.
private enum Tag: Equatable {
    case head, title, meta, br, label, a, time, pre
    case table, thead, tr, caption, cell(header: Bool)
    case list, li, dl, dt, dd
    case heading(Int)
    case main, article, section, nav, aside, header, footer
    /// Another element that starts a new block of text.
    case block
    case inline

    private static let names: [String: Tag] = {
        var names: [String: Tag] = [
            "head": .head, "title": .title, "meta": .meta, "br": .br, "label": .label, "a": .a, "time": .time, "pre": .pre,
            "table": .table, "thead": .thead, "tr": .tr, "caption": .caption, "th": .cell(header: true),
            "td": .cell(header: false), "ul": .list, "ol": .list, "menu": .list, "li": .li, "dl": .dl, "dt": .dt, "dd": .dd,
            "main": .main, "article": .article, "section": .section, "nav": .nav, "aside": .aside, "header": .header,
            "footer": .footer,
        ]
        for level in 1...6 { names["h\(level)"] = .heading(level) }
        for name in [
            "p", "div", "figcaption", "blockquote", "address", "tbody", "tfoot", "legend", "fieldset", "figure", "form",
            "details", "summary", "body", "html", "hr", "center", "hgroup", "search", "dialog",
        ] {
            names[name] = .block
        }
        return names
    }()

    static func of(_ name: String) -> Tag { names[name] ?? .inline }

    var isBlock: Bool {
        switch self {
        case .head, .title, .meta, .br, .label, .a, .time, .inline: false
        default: true
        }
    }

    /// Elements that end the part a heading heads.
    var isSectioning: Bool {
        switch self {
        case .section, .article, .aside, .nav, .main, .header, .footer: true
        default: false
        }
    }
}
