/// The state that spans elements while markup is walked: what is being skipped, the
/// section depth, the title. The rules of ``MarkupRules`` decide what each element means.
struct MarkupState {
    private struct Frame {
        var role: ElementRole
        var name: String
        var skips: Bool
        var heading: Bool
    }

    private(set) var dialect: MarkupDialect?
    private var builder = TextBuilder()
    private var stack: [Frame] = []
    private var skipDepth = 0
    private var sectionDepth = 0
    private var titleCapture: [UInt8]?
    private var title: String?
    private var firstHeading: (level: Int, text: String)?
    private var embedded: [UInt8]?
    private var sawGenericTitle = false

    init(dialect: MarkupDialect? = nil) {
        self.dialect = dialect
        stack.reserveCapacity(64)
    }

    /// An element starts.
    mutating func start(name: String, htmlRole: ElementRole?, namespace: String?, attributes: some AttributeSource) {
        if skipDepth > 0 {
            stack.append(Frame(role: .skip, name: name, skips: true, heading: false))
            skipDepth += 1
            return
        }
        if dialect == nil { dialect = MarkupDialect.of(root: name, namespace: namespace) }
        let parent = stack.last?.name
        var role: ElementRole
        switch dialect! {
        case .html:
            role = htmlRole ?? MarkupRules.html(name)
        case .docbook:
            role = MarkupRules.docbook(name)
            if role == .sectionTitle, let parent, !Self.docbookTitleParents.contains(parent),
                stack.last?.role != .sectionContainer
            {
                role = .block
            }
        case .atom:
            if namespace == "http://www.w3.org/1999/xhtml" {
                role = MarkupRules.html(name)
            } else {
                role = MarkupRules.atom(name, parent: parent)
                if name == "content" || name == "summary", let type = attributes.value("type"),
                    type.elementsEqual("html".utf8)
                {
                    role = .embeddedHTML
                }
            }
        case .rss:
            role = MarkupRules.rss(name, parent: parent)
        case .genericXML:
            if namespace == "http://www.w3.org/1999/xhtml" {
                role = MarkupRules.html(name)
            } else {
                role = MarkupRules.genericXML(name, isFirstTitle: !sawGenericTitle)
                if role == .documentTitle { sawGenericTitle = true }
            }
        }
        // Navigation hides in containers and links (Sphinx's ¶ anchors), not in the
        // thousands of inline spans of highlighted code.
        if role != .skip, role != .inline || name == "a", !attributes.isEmpty,
            dialect == .html || namespace == "http://www.w3.org/1999/xhtml", Boilerplate.matches(attributes)
        {
            role = .skip
        }
        if role == .documentTitle, title != nil || titleCapture != nil { role = .inline }

        var frame = Frame(role: role, name: name, skips: false, heading: false)
        switch role {
        case .skip:
            frame.skips = true
            skipDepth += 1
        case .inline:
            break
        case .block, .row:
            builder.endBlock()
        case .preformatted:
            builder.beginPreformatted()
        case .cell:
            builder.separate(" | ")
        case .lineBreak:
            builder.endBlock()
        case .heading(let level):
            if !builder.isCapturingHeading {
                builder.beginHeading(level: level)
                frame.heading = true
            }
        case .documentTitle:
            titleCapture = []
        case .sectionContainer:
            sectionDepth += 1
            builder.endBlock()
        case .sectionTitle:
            if !builder.isCapturingHeading {
                builder.beginHeading(level: max(1, sectionDepth))
                frame.heading = true
            }
        case .embeddedHTML:
            builder.endBlock()
            embedded = []
        }
        stack.append(frame)
    }

    private static let docbookTitleParents: Set<String> = [
        "info", "articleinfo", "bookinfo", "sectioninfo", "chapterinfo", "blockinfo",
    ]

    mutating func end() {
        guard let frame = stack.popLast() else { return }
        if frame.skips {
            skipDepth -= 1
            return
        }
        switch frame.role {
        case .block, .row, .lineBreak:
            builder.endBlock()
        case .preformatted:
            builder.endPreformatted()
        case .heading(let level):
            if frame.heading { finishHeading(level: level) }
        case .sectionTitle:
            if frame.heading { finishHeading(level: max(1, sectionDepth)) }
        case .documentTitle:
            if let bytes = titleCapture {
                let text = String(decoding: bytes, as: UTF8.self).collapsingWhitespace
                if !text.isEmpty { title = text }
            }
            titleCapture = nil
        case .sectionContainer:
            sectionDepth -= 1
            builder.endBlock()
        case .embeddedHTML:
            if let bytes = embedded, !bytes.isEmpty {
                let inner = (try? LibXML.parseHTML(bytes))?.sections ?? []
                builder.appendBlocks(inner)
            }
            embedded = nil
        case .inline, .cell, .skip:
            break
        }
    }

    private mutating func finishHeading(level: Int) {
        if let text = builder.endHeading() {
            if firstHeading == nil || (level == 1 && firstHeading!.level > 1) {
                firstHeading = (level, text)
            }
        }
    }

    mutating func characters(_ bytes: UnsafeBufferPointer<UInt8>) {
        if skipDepth > 0 { return }
        if titleCapture != nil {
            titleCapture!.append(contentsOf: bytes)
        } else if embedded != nil {
            embedded!.append(contentsOf: bytes)
        } else {
            builder.append(bytes)
        }
    }

    mutating func finish() -> ExtractedText {
        let sections = builder.finish()
        return ExtractedText(title: Self.title(title, heading: firstHeading), sections: sections)
    }

    /// The document's title: its `<title>`, unless that is the page's top heading plus a
    /// site suffix ("Streams — Python 3.11 documentation"): the suffix repeats on every
    /// page of a site and would make its words look relevant to every question.
    static func title(_ title: String?, heading: (level: Int, text: String)?) -> String? {
        guard let title else { return heading?.text }
        guard let heading, heading.level == 1, title != heading.text, title.hasPrefix(heading.text) else { return title }
        let rest = title.dropFirst(heading.text.count).drop { $0 == " " }
        guard let separator = rest.first, "—–-|:·•".contains(separator) else { return title }
        return heading.text
    }
}

/// Turns a stream of markup events (from libxml2's SAX parsers) into ``ExtractedText``.
///
/// libxml2's callbacks reach it through a raw pointer to a local variable of the parse
/// (see ``LibXML``), not through a class reference: there is a callback per element and
/// per text run of every document, and a class cost a reference count and a dynamic
/// exclusivity check on each.
struct MarkupExtractor {
    var state: MarkupState
    /// Interned element names of the current parse.
    var names = NameCache()

    init(dialect: MarkupDialect? = nil) {
        state = MarkupState(dialect: dialect)
    }

    var dialect: MarkupDialect? { state.dialect }

    mutating func start(name: UnsafePointer<UInt8>, namespace: String?, attributes: some AttributeSource) {
        let entry = names.entry(name)
        state.start(name: entry.string, htmlRole: entry.htmlRole, namespace: namespace, attributes: attributes)
    }

    mutating func end() { state.end() }

    mutating func characters(_ bytes: UnsafeBufferPointer<UInt8>) { state.characters(bytes) }

    mutating func finish() -> ExtractedText { state.finish() }
}
