/// A section of a document: the text under one heading.
struct TextSection: Sendable, Equatable {
    /// Headings from the document's top level down to this section's own heading.
    var headingPath: [String]
    /// Readable blocks of text (paragraphs, list items, table rows, code blocks) in order.
    var blocks: [String]
}

/// The text rag keeps of a document, before it is split into passages.
struct ExtractedText: Sendable, Equatable {
    var title: String?
    var sections: [TextSection]
}

/// One passage: a window of a section's text, the unit that search returns.
public struct Passage: Sendable, Equatable {
    /// Position within the document, from 1.
    public var ordinal: Int
    /// The heading path joined with " > ", empty above the first heading.
    public var heading: String
    public var text: String
}

/// A document ready to be written to the index.
public struct ParsedDocument: Sendable {
    public var id: String
    public var source: String
    public var title: String
    public var format: DocumentFormat
    /// The content as ingested (UTF-8, compressed), so an export can give it back and the
    /// index can be rebuilt without the source files.
    var storedContent: StoredContent
    /// The content's length in UTF-8 bytes.
    public var contentBytes: Int
    /// What decides whether a re-ingest is `unchanged`: a hash of the format, metadata and raw bytes.
    public var contentHash: String
    public var passages: [Passage]
}
