/// Fills a JSON Schema from content. The built-in ``RuleExtractor`` works from the
/// content's structure and text without any network; another backend (an LLM) conforms
/// too. Whatever an extractor returns, ``ExtractionService`` validates it against the
/// schema before it is sent.
public protocol Extractor: Sendable {
    /// Throws ``ExtractionError`` (`extraction_incomplete` with `missing` when a required
    /// value cannot be found); any other error is reported as an internal failure.
    func extract(_ input: ExtractionInput) async throws -> ExtractionResult
}

/// One piece of content to extract from, and where it came from (for `sources`).
public struct ContentSegment: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case text, html, xml, markdown
    }

    public var kind: Kind
    public var content: String
    public var docID: String?
    public var passageID: String?

    public init(kind: Kind, content: String, docID: String? = nil, passageID: String? = nil) {
        self.kind = kind
        self.content = content
        self.docID = docID
        self.passageID = passageID
    }
}

/// What an extractor is asked to do.
public struct ExtractionInput: Sendable {
    public var schema: ExtractionSchema
    /// Best first: for a `query`, the retrieved passages in rank order.
    public var segments: [ContentSegment]
    /// Free text for backends that take instructions; the built-in extractor ignores it.
    public var instruction: String?

    public init(schema: ExtractionSchema, segments: [ContentSegment], instruction: String? = nil) {
        self.schema = schema
        self.segments = segments
        self.instruction = instruction
    }
}

/// Where one value of `data` came from.
public struct SourceReference: Sendable, Equatable {
    /// A JSON Pointer into `data`.
    public var path: String
    public var docID: String?
    public var passageID: String?
    public var snippet: String

    public init(path: String, docID: String? = nil, passageID: String? = nil, snippet: String) {
        self.path = path
        self.docID = docID
        self.passageID = passageID
        self.snippet = snippet
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = ["path": .string(path), "snippet": .string(snippet)]
        if let docID { members["doc_id"] = .string(docID) }
        if let passageID { members["passage_id"] = .string(passageID) }
        return .object(members)
    }
}

/// A filled schema: `data` and the `sources` of its values.
public struct ExtractionResult: Sendable, Equatable {
    public var data: JSONValue
    public var sources: [SourceReference]

    public init(data: JSONValue, sources: [SourceReference]) {
        self.data = data
        self.sources = sources
    }

    /// The API's answer: `{"data", "sources"}`.
    public var json: JSONValue {
        .object(["data": data, "sources": .array(sources.map(\.json))])
    }
}
