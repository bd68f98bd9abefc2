/// One extraction: a schema, one source, an optional instruction.
public struct ExtractionRequest: Sendable {
    public enum Source: Sendable, Equatable {
        case text(String)
        case html(String)
        /// Not in the HTTP API; the CLI's `--file` passes XML and Markdown as themselves.
        case xml(String)
        case markdown(String)
        case document(id: String)
        case query(String)
    }

    public var schema: ExtractionSchema
    public var source: Source
    public var instruction: String?

    public init(schema: ExtractionSchema, source: Source, instruction: String? = nil) {
        self.schema = schema
        self.source = source
        self.instruction = instruction
    }

    /// Reads an API request body: `schema`, exactly one of `text`, `html`, `doc_id` and
    /// `query`, and `instruction`. An ill-typed field is `bad_request`; zero or two sources,
    /// an empty one or an over-long query `validation_failed`; a bad schema its own error.
    public init(json: JSONValue, maxQuery: Int = 2000) throws(ExtractionError) {
        guard case .object(let body) = json else {
            throw .badRequest("An extract request must be a JSON object, not \(json.typeName).")
        }
        guard let schema = body["schema"], schema != .null else { throw .badRequest("schema is required.") }
        var given: [(name: String, value: String)] = []
        for name in ["text", "html", "doc_id", "query"] {
            switch body[name] {
            case nil, .null?: continue
            case .string(let value)?: given.append((name, value))
            case let other?: throw .badRequest("\(name) must be a string, not \(other.typeName).")
            }
        }
        switch body["instruction"] {
        case nil, .null?: instruction = nil
        case .string(let text)?: instruction = text
        case let other?: throw .badRequest("instruction must be a string, not \(other.typeName).")
        }
        guard given.count == 1 else {
            throw .invalid(
                given.isEmpty
                    ? "Give exactly one source: text, html, doc_id or query."
                    : "Give exactly one source, not \(given.map(\.name).joined(separator: " and ")).")
        }
        let (name, value) = given[0]
        guard !TextClean.trim(value).isEmpty else { throw .invalid("\(name) must not be empty.") }
        if name == "query", value.unicodeScalars.count > maxQuery {
            throw .invalid("query is longer than \(maxQuery) characters.")
        }
        self.schema = try ExtractionSchema(schema)
        switch name {
        case "text": source = .text(value)
        case "html": source = .html(value)
        case "doc_id": source = .document(id: value)
        default: source = .query(TextClean.trim(value))
        }
    }
}
