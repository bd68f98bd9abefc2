/// Accumulates a document's visible text into sections and blocks as markup is walked.
///
/// Works on UTF-8 bytes: libxml2 hands over text in many small pieces and most of it is
/// whitespace to collapse, so building Strings per piece would dominate ingest time.
struct TextBuilder {
    private(set) var sections: [TextSection] = []
    private var path: [(level: Int, text: String)] = []
    private var blocks: [String] = []
    private var current: [UInt8] = []
    private var pendingSpace = false
    private var heading: (level: Int, bytes: [UInt8])?
    private var preformatted = 0

    init() {
        current.reserveCapacity(1024)
    }

    var isCapturingHeading: Bool { heading != nil }

    /// Appends text. Outside preformatted blocks, runs of whitespace become one space.
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        if heading != nil {
            Self.appendCollapsing(bytes, to: &heading!.bytes, pendingSpace: &pendingSpace)
        } else if preformatted > 0 {
            var start = 0
            while let cr = bytes[start...].firstIndex(of: 0x0D) {
                current.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<cr]))
                start = cr + 1
            }
            current.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        } else {
            Self.appendCollapsing(bytes, to: &current, pendingSpace: &pendingSpace)
        }
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    /// Copies runs of visible bytes whole: appending byte by byte cost a uniqueness and
    /// capacity check per byte, and this sees every byte of text in every document.
    private static func appendCollapsing(
        _ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8], pendingSpace: inout Bool
    ) {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D || b == 0x0C {
                pendingSpace = true
                i += 1
                continue
            }
            if b == 0xC2, i + 1 < n, bytes[i + 1] == 0xA0 {  // no-break space
                pendingSpace = true
                i += 2
                continue
            }
            if pendingSpace {
                if !out.isEmpty { out.append(0x20) }
                pendingSpace = false
            }
            let start = i
            i += 1
            while i < n {
                let c = bytes[i]
                if c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D || c == 0x0C || c == 0xC2 { break }
                i += 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
        }
    }

    /// Separates what follows from what came before inside one block (table cells).
    mutating func separate(_ separator: StaticString) {
        guard heading == nil, !current.isEmpty else { return }
        pendingSpace = false
        separator.withUTF8Buffer { current.append(contentsOf: $0) }
    }

    /// Ends the current block (paragraph, list item, row...).
    mutating func endBlock() {
        guard heading == nil else {
            pendingSpace = true
            return
        }
        pendingSpace = false
        guard !current.isEmpty else { return }
        var end = current.count
        while end > 0, current[end - 1] == 0x20 || current[end - 1] == 0x0A || current[end - 1] == 0x09 { end -= 1 }
        var start = 0
        while start < end, current[start] == 0x0A || current[start] == 0x20 { start += 1 }
        if start < end {
            blocks.append(String(decoding: current[start..<end], as: UTF8.self))
        }
        current.removeAll(keepingCapacity: true)
    }

    mutating func beginPreformatted() {
        endBlock()
        preformatted += 1
    }

    mutating func endPreformatted() {
        endBlock()
        preformatted = max(0, preformatted - 1)
    }

    mutating func beginHeading(level: Int) {
        endBlock()
        if heading == nil { heading = (level, []) }
        pendingSpace = false
    }

    /// Ends a heading: the blocks so far become a section and the heading path moves on.
    @discardableResult
    mutating func endHeading() -> String? {
        guard let h = heading else { return nil }
        heading = nil
        pendingSpace = false
        let text = String(decoding: h.bytes, as: UTF8.self).trimmed
        guard !text.isEmpty else { return nil }
        closeSection()
        while let last = path.last, last.level >= h.level { path.removeLast() }
        path.append((h.level, text))
        return text
    }


    private mutating func closeSection() {
        endBlock()
        if !blocks.isEmpty {
            sections.append(TextSection(headingPath: path.map(\.text), blocks: blocks))
            blocks.removeAll()
        }
    }

    /// Adds blocks produced elsewhere (e.g. HTML embedded in a feed) to the current section.
    mutating func appendBlocks(_ extra: [TextSection]) {
        endBlock()
        for section in extra { blocks.append(contentsOf: section.blocks) }
    }

    mutating func finish() -> [TextSection] {
        if heading != nil { endHeading() }
        closeSection()
        return sections
    }
}

extension String {
    /// The string without leading and trailing whitespace.
    public var trimmed: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }

    /// Runs of whitespace collapsed to one space, trimmed.
    var collapsingWhitespace: String {
        split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
