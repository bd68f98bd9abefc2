/// What an element means for the text rag keeps of a document.
enum ElementRole: Sendable, Equatable {
    /// Its text flows into the surrounding block.
    case inline
    /// Starts and ends a block (paragraph, list item...).
    case block
    /// A block whose whitespace and line breaks are kept (code).
    case preformatted
    /// A table row: its cells become one line.
    case row
    /// A table cell, separated from the previous one in its row.
    case cell
    /// A line break.
    case lineBreak
    /// A heading of the given level.
    case heading(Int)
    /// The document's own title (`<title>` in an HTML head, an Atom feed's title).
    case documentTitle
    /// A container that opens a deeper section (DocBook `section`, an Atom `entry`).
    case sectionContainer
    /// The title of the innermost section container.
    case sectionTitle
    /// Escaped HTML carried as text (Atom `content type="html"`, RSS `description`).
    case embeddedHTML
    /// Left out with everything inside it: scripts, styles, navigation, metadata.
    case skip
}

/// The vocabulary a document is written in, decided by its root element.
enum MarkupDialect: Sendable {
    case html
    case docbook
    case atom
    case rss
    case genericXML

    static func of(root localName: String, namespace: String?) -> MarkupDialect {
        switch (localName, namespace) {
        case ("html", _): return .html
        case ("feed", _): return .atom
        case ("rss", _), ("RDF", _): return .rss
        case (_, "http://docbook.org/ns/docbook"): return .docbook
        case ("article", _), ("book", _), ("chapter", _), ("part", _), ("set", _), ("refentry", _),
            ("section", _), ("sect1", _), ("appendix", _), ("preface", _):
            return .docbook
        default: return .genericXML
        }
    }
}

/// An element's attributes as libxml2 hands them over, read without copying.
protocol AttributeSource {
    var isEmpty: Bool { get }
    /// Whether `predicate` holds for one of the attributes, given its name and raw value
    /// (empty for a valueless one).
    func contains(where predicate: (_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) -> Bool) -> Bool
}

extension AttributeSource {
    /// The raw UTF-8 value of an attribute (empty for a valueless one), or `nil` if absent.
    func value(_ name: StaticString) -> UnsafeBufferPointer<UInt8>? {
        var found: UnsafeBufferPointer<UInt8>?
        _ = contains { attribute, value in
            guard name.withUTF8Buffer({ attribute.elementsEqual($0) }) else { return false }
            found = value
            return true
        }
        return found
    }
}

/// Whether an element is navigation or other boilerplate, from its `class`, `id`, `role`,
/// `hidden` and `aria-hidden` attributes. Runs on raw bytes, in one pass over the
/// attributes: it is asked for every block element and link of every document.
enum Boilerplate {
    private static let roles = words(["navigation", "search", "banner", "menu", "menubar", "toolbar", "contentinfo"])
    /// Class names that mark navigation in common generators (Sphinx, DocBook XSL, CMS themes).
    /// A table of contents is not among them: on a chapter page it is the content.
    private static let names = words([
        "navheader", "navfooter", "related", "sphinxsidebar", "sphinxsidebarwrapper", "headerlink",
        "mobile-nav", "menu-wrapper", "skip-link", "skiplink", "footer", "site-footer",
        "site-header", "pagination", "sr-only", "visually-hidden", "copybutton", "nav", "navigation",
    ])
    private static let prefixes = words(["nav-", "nav_", "navbar", "cookie-", "breadcrumb"])
    private static let suffixes = words(["nav", "-navigation"])
    private static let ariaTrue = words(["true"])[0]
    /// The first bytes of the names and prefixes, the last bytes of the suffixes: most class
    /// names ("reference", "internal", "highlight") are turned away on these two bytes.
    private static let firstBytes = byteSet(names + prefixes) { $0.first! }
    private static let lastBytes = byteSet(suffixes) { $0.last! }

    static func matches(_ attributes: some AttributeSource) -> Bool {
        attributes.contains { name, value in
            switch name.count {
            case 2 where same(name, "id"): return isNavigationName(value[...])
            case 4 where same(name, "role"): return roles.contains { equal(value[...], $0) }
            case 5 where same(name, "class"): return classes(value).contains(where: isNavigationName)
            case 6 where same(name, "hidden"): return true
            case 11 where same(name, "aria-hidden"): return equal(value[...], ariaTrue)
            default: return false
            }
        }
    }

    /// The space-separated names of a `class` attribute.
    private static func classes(_ value: UnsafeBufferPointer<UInt8>) -> some Sequence<Slice<UnsafeBufferPointer<UInt8>>> {
        value.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0x0C })
    }

    /// Navigation by name: known class names, and names built on "nav" ("topnav",
    /// "nav-menu", "navbar"), but not words that merely contain it ("navy", "canvas").
    private static func isNavigationName(_ name: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard let first = name.first, let last = name.last else { return false }
        if firstBytes[Int(lower(first))] {
            if names.contains(where: { equal(name, $0) }) { return true }
            if prefixes.contains(where: { name.count >= $0.count && equal(name.prefix($0.count), $0) }) { return true }
        }
        if lastBytes[Int(lower(last))] {
            if suffixes.contains(where: { name.count >= $0.count && equal(name.suffix($0.count), $0) }) { return true }
        }
        return false
    }

    private static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    /// ASCII case-insensitive equality with a lower-case word.
    private static func equal(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, _ word: [UInt8]) -> Bool {
        guard bytes.count == word.count else { return false }
        var i = bytes.startIndex
        for byte in word {
            if lower(bytes[i]) != byte { return false }
            i += 1
        }
        return true
    }

    /// Exact equality of an attribute name (HTML names come lower-cased from libxml2).
    private static func same(_ bytes: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        word.withUTF8Buffer { bytes.elementsEqual($0) }
    }

    private static func words(_ list: [String]) -> [[UInt8]] { list.map { Array($0.utf8) } }

    private static func byteSet(_ list: [[UInt8]], _ byte: ([UInt8]) -> UInt8) -> [Bool] {
        var set = [Bool](repeating: false, count: 256)
        for word in list { set[Int(byte(word))] = true }
        return set
    }
}

enum MarkupRules {
    private static let htmlRoles: [String: ElementRole] = {
        var roles: [String: ElementRole] = [:]
        for tag in [
            "script", "style", "noscript", "template", "nav", "svg", "math", "iframe", "object", "embed",
            "canvas", "select", "button", "form", "textarea", "footer", "audio", "video", "map", "datalist",
        ] {
            roles[tag] = .skip
        }
        for tag in [
            "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog", "div",
            "dl", "dt", "fieldset", "figcaption", "figure", "header", "hgroup", "hr", "html", "legend", "li",
            "main", "ol", "p", "section", "summary", "table", "tbody", "tfoot", "thead", "ul", "center",
            "option", "menu", "output", "search",
        ] {
            roles[tag] = .block
        }
        roles["pre"] = .preformatted
        roles["listing"] = .preformatted
        roles["xmp"] = .preformatted
        roles["tr"] = .row
        roles["td"] = .cell
        roles["th"] = .cell
        roles["br"] = .lineBreak
        roles["title"] = .documentTitle
        for level in 1...6 { roles["h\(level)"] = .heading(level) }
        return roles
    }()

    private static let docbookContainers: Set<String> = [
        "article", "book", "chapter", "part", "preface", "appendix", "section", "sect1", "sect2", "sect3",
        "sect4", "sect5", "simplesect", "refentry", "refsection", "refsect1", "refsect2", "refsect3",
        "bibliography", "glossary", "colophon", "dedication", "set", "reference",
    ]
    private static let docbookBlocks: Set<String> = [
        "para", "simpara", "formalpara", "listitem", "member", "term", "varlistentry", "note", "warning",
        "tip", "caution", "important", "example", "figure", "abstract", "blockquote", "subtitle", "itemizedlist",
        "orderedlist", "variablelist", "simplelist", "table", "informaltable", "tgroup", "tbody", "thead",
        "mediaobject", "caption", "glossentry", "glossdef", "qandaentry", "question", "answer", "sidebar",
        "author", "personname", "pubdate", "info", "articleinfo", "bookinfo", "keywordset", "keyword",
        "releaseinfo", "legalnotice", "callout", "step", "procedure", "equation", "bridgehead", "refnamediv",
        "refsynopsisdiv", "cmdsynopsis", "funcsynopsis",
    ]
    private static let docbookPre: Set<String> = [
        "programlisting", "screen", "literallayout", "synopsis", "address",
    ]

    /// The role of an HTML element (the HTML parser's lower-cased names, or XHTML local names).
    static func html(_ name: String) -> ElementRole {
        htmlRoles[name] ?? .inline
    }

    static func docbook(_ name: String) -> ElementRole {
        if docbookContainers.contains(name) { return .sectionContainer }
        if name == "title" { return .sectionTitle }
        if docbookBlocks.contains(name) { return .block }
        if docbookPre.contains(name) { return .preformatted }
        switch name {
        case "row": return .row
        case "entry": return .cell
        case "indexterm", "remark", "annotation", "titleabbrev", "toc", "index", "lot": return .skip
        default: return .inline
        }
    }

    static func atom(_ name: String, parent: String?) -> ElementRole {
        switch name {
        case "title" where parent == "feed": return .documentTitle
        case "entry": return .sectionContainer
        case "title" where parent == "entry": return .sectionTitle
        case "id", "link", "category", "generator", "icon", "logo", "rights", "uri", "email": return .skip
        default: return .block
        }
    }

    static func rss(_ name: String, parent: String?) -> ElementRole {
        switch name {
        case "title" where parent == "channel": return .documentTitle
        case "item": return .sectionContainer
        case "title" where parent == "item": return .sectionTitle
        case "description": return parent == "item" ? .embeddedHTML : .block
        case "link", "guid", "category", "generator", "docs", "image", "ttl", "cloud", "comments", "enclosure":
            return .skip
        default: return .block
        }
    }

    static func genericXML(_ name: String, isFirstTitle: Bool) -> ElementRole {
        if name == "title" && isFirstTitle { return .documentTitle }
        return .block
    }
}
