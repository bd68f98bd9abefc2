import Crypto

/// A document as it arrives: from a file, a JSON request or a raw HTTP body.
public struct DocumentInput: Sendable {
    public var id: String?
    public var source: String?
    public var title: String?
    public var format: DocumentFormat?
    public var bytes: [UInt8]
    /// The charset named by the transport (an HTTP `Content-Type`), if any.
    public var declaredCharset: String?
    /// Whether the bytes are already Unicode text (a JSON string): encoding declarations
    /// inside the document are then ignored.
    public var isUnicodeText: Bool

    public init(
        id: String? = nil, source: String? = nil, title: String? = nil, format: DocumentFormat? = nil,
        bytes: [UInt8], declaredCharset: String? = nil, isUnicodeText: Bool = false
    ) {
        self.id = id
        self.source = source
        self.title = title
        self.format = format
        self.bytes = bytes
        self.declaredCharset = declaredCharset
        self.isUnicodeText = isUnicodeText
    }

    /// A JSON document's content.
    public init(id: String? = nil, source: String? = nil, title: String? = nil, format: DocumentFormat? = nil, text: String) {
        self.init(id: id, source: source, title: title, format: format, bytes: Array(text.utf8), isUnicodeText: true)
    }

    /// The format given, or the one its content suggests.
    public var resolvedFormat: DocumentFormat { format ?? DocumentFormat.guess(bytes) }

    /// The id the document will have: the one given, or a stable hash of its source or content.
    public var resolvedID: String {
        if let id { return id }
        if let source, !source.isEmpty { return DocumentParser.shortHash(Array(source.utf8)) }
        return DocumentParser.shortHash(bytes)
    }

    /// A hash of what decides the passages: format and content (and how the bytes are
    /// decoded). With the title and source, it decides `unchanged` on re-ingest.
    public var contentHash: String {
        var hasher = SHA256()
        hasher.update(data: Array("\(resolvedFormat.rawValue)\u{0}\(isUnicodeText ? "u" : "b")\u{0}".utf8))
        hasher.update(data: bytes)
        return hasher.finalize().hexString
    }

    /// Whether re-ingesting this input over `stored` would change nothing: same content,
    /// and no title or source given that differs from the stored ones.
    public func isUnchanged(comparedTo stored: StoredFingerprint?) -> Bool {
        guard let stored, stored.contentHash == contentHash else { return false }
        return (title == nil || title == stored.title) && (source == nil || source == stored.source)
    }
}

/// Turns a ``DocumentInput`` into a ``ParsedDocument``: encoding, parsing, title, passages.
public struct DocumentParser: Sendable {
    /// Documents larger than this are refused (bytes).
    public var maxBytes: Int
    var splitter = PassageSplitter()

    public init(maxBytes: Int = 64 << 20) {
        self.maxBytes = maxBytes
    }

    public func parse(_ input: DocumentInput) throws(IngestError) -> ParsedDocument {
        let bytes = input.bytes
        if bytes.count > maxBytes { throw .tooLarge(bytes: bytes.count, limit: maxBytes) }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { throw .empty }
        if Self.looksBinary(bytes) { throw .binary }

        var format = input.resolvedFormat
        let content: String
        if input.isUnicodeText {
            content = String(decoding: bytes, as: UTF8.self)
        } else {
            let encoding = Charset.sniff(bytes, format: format, declared: input.declaredCharset)
            content = try Charset.decode(bytes, encoding: encoding)
        }
        if content.unicodeScalars.allSatisfy({ $0.properties.isWhitespace }) { throw .empty }

        var extracted: ExtractedText
        switch format {
        case .html:
            extracted = try Self.parseHTML(content)
        case .xml:
            extracted = try Self.parseXML(content, format: &format)
        case .markdown:
            extracted = try MarkdownText.extract(content)
        case .text:
            extracted = PlainText.extract(content)
        }
        let source = input.source ?? input.id ?? ""
        var title =
            [input.title, extracted.title, Self.fileName(source)]
            .compactMap { $0?.collapsingWhitespace }
            .first { !$0.isEmpty } ?? ""
        // A top heading that repeats the title says nothing in every passage's heading path.
        for i in extracted.sections.indices {
            if let top = extracted.sections[i].headingPath.first, top.collapsingWhitespace == title {
                extracted.sections[i].headingPath.removeFirst()
            }
        }
        let passages = splitter.split(extracted.sections)
        if passages.isEmpty { throw .noText }
        if title.isEmpty { title = String(passages[0].text.prefix(80)) }
        return ParsedDocument(
            id: input.resolvedID,
            source: source,
            title: title,
            format: format,
            storedContent: StoredContent(compressing: content),
            contentBytes: content.utf8.count,
            contentHash: input.contentHash,
            passages: passages
        )
    }

    /// XHTML goes to the XML parser; if it is not well-formed, to the forgiving HTML parser.
    private static func parseHTML(_ content: String) throws(IngestError) -> ExtractedText {
        let utf8 = Array(content.utf8)
        if looksLikeXHTML(utf8) {
            do {
                return try LibXML.parseXML(utf8)
            } catch .malformed(_) {
                // Fall through: browsers render such pages, so recover like they do.
            }
        }
        return try LibXML.parseHTML(utf8)
    }

    private static func parseXML(_ content: String, format: inout DocumentFormat) throws(IngestError) -> ExtractedText {
        let utf8 = Array(content.utf8)
        let text = try LibXML.parseXML(utf8)
        if looksLikeXHTML(utf8) { format = .html }
        return text
    }

    /// A plain loop over the bytes, not `firstRange(of:)`: the generic search over a UTF-8
    /// view cost 6% of a whole ingest's CPU (unspecialized, metadata lookups per call).
    private static func looksLikeXHTML(_ utf8: [UInt8]) -> Bool {
        let needle: StaticString = "http://www.w3.org/1999/xhtml"
        let n = needle.utf8CodeUnitCount
        let end = min(utf8.count, 2048) - n
        guard end >= 0 else { return false }
        return utf8.withUnsafeBufferPointer { head in
            needle.withUTF8Buffer { needle in
                (0...end).contains { i in
                    head[i] == needle[0] && (1..<n).allSatisfy { head[i + $0] == needle[$0] }
                }
            }
        }
    }

    private static func looksBinary(_ bytes: [UInt8]) -> Bool {
        let head = bytes.prefix(8192)
        if head.count >= 2, (head.first == 0xFF && head.dropFirst().first == 0xFE) || (head.first == 0xFE && head.dropFirst().first == 0xFF) {
            return false  // UTF-16 has NUL bytes by design
        }
        var controls = 0
        for b in head {
            if b == 0 { return true }
            if b < 0x09 || (b > 0x0D && b < 0x20 && b != 0x1B) { controls += 1 }
        }
        return controls * 20 > head.count
    }

    private static func fileName(_ source: String) -> String? {
        guard let last = source.split(separator: "/").last, !last.isEmpty else { return nil }
        return String(last)
    }

    static func shortHash(_ bytes: [UInt8]) -> String {
        String(SHA256.hash(data: bytes).hexString.prefix(16))
    }
}

extension Sequence where Element == UInt8 {
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
