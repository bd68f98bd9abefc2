/// Runs extractions for the API and the CLI: reads the request, fetches its source (a
/// stored document, or the best passages for a query), runs the extractor and checks its
/// data against the schema, so nothing invalid is ever answered, whichever extractor ran.
public struct ExtractionService: Sendable {
    public static let maxBatchItems = 100
    /// How many passages a `query` source retrieves.
    public static let queryPassages = 5

    let index: SearchIndex?
    let retriever: (any Retrieving)?
    let extractor: any Extractor
    let maxQuery: Int

    public init(
        index: SearchIndex? = nil, retriever: (any Retrieving)? = nil, extractor: any Extractor = RuleExtractor(),
        maxQuery: Int = 2000
    ) {
        self.index = index
        self.retriever = retriever
        self.extractor = extractor
        self.maxQuery = maxQuery
    }

    public func extract(json: JSONValue) async throws(ExtractionError) -> ExtractionResult {
        try await extract(try ExtractionRequest(json: json, maxQuery: maxQuery))
    }

    public func extract(_ request: ExtractionRequest) async throws(ExtractionError) -> ExtractionResult {
        let input = ExtractionInput(
            schema: request.schema, segments: try await segments(for: request.source), instruction: request.instruction)
        let result: ExtractionResult
        do {
            result = try await extractor.extract(input)
        } catch let error as ExtractionError {
            throw error
        } catch {
            throw .internalError("The extractor failed: \(error).")
        }
        return try Self.checked(result, against: request.schema)
    }

    /// `{"items": [...]}`: every item or none. The first failure is `batch_failed` with
    /// its index and its own error.
    public func batch(json: JSONValue) async throws(ExtractionError) -> [ExtractionResult] {
        guard case .object(let body) = json else { throw .badRequest("A batch must be a JSON object.") }
        guard let value = body["items"], value != .null else { throw .badRequest("items is required.") }
        guard case .array(let items) = value else { throw .badRequest("items must be an array, not \(value.typeName).") }
        guard (1...Self.maxBatchItems).contains(items.count) else {
            throw .invalid("items must hold between 1 and \(Self.maxBatchItems) extract requests, not \(items.count).")
        }
        var results: [ExtractionResult] = []
        for (i, item) in items.enumerated() {
            do {
                results.append(try await extract(json: item))
            } catch {
                throw .batchFailed(index: i, item: error)
            }
        }
        return results
    }

    func segments(for source: ExtractionRequest.Source) async throws(ExtractionError) -> [ContentSegment] {
        switch source {
        case .text(let text): return [ContentSegment(kind: .text, content: text)]
        case .html(let html): return [ContentSegment(kind: .html, content: html)]
        case .xml(let xml): return [ContentSegment(kind: .xml, content: xml)]
        case .markdown(let markdown): return [ContentSegment(kind: .markdown, content: markdown)]
        case .document(let id):
            guard let index else { throw .internalError("No index is open to read documents from.") }
            let stored: StoredDocument?
            do {
                stored = try await index.reader.document(id: id)
            } catch {
                throw .internalError("The document could not be read: \(error).")
            }
            guard let stored else { throw .notFound("No document has the id \(id).") }
            let kind: ContentSegment.Kind =
                switch DocumentFormat(rawValue: stored.summary.format) {
                case .html?: .html
                case .xml?: .xml
                case .markdown?: .markdown
                default: .text
                }
            return [ContentSegment(kind: kind, content: stored.content, docID: id)]
        case .query(let query):
            guard let retriever else { throw .internalError("No index is open to search.") }
            do {
                let passages = try await retriever.retrieve(query, limit: Self.queryPassages).passages
                return passages.map { passage in
                    // The passage's heading heads its text, so a section can still be found.
                    let heading = passage.hit.heading.components(separatedBy: " > ").last.map(TextClean.collapse) ?? ""
                    let text = heading.isEmpty ? passage.text : "# \(heading)\n\n\(passage.text)"
                    return ContentSegment(kind: .text, content: text, docID: passage.hit.docID, passageID: passage.hit.passageID)
                }
            } catch {
                throw .internalError("The search failed: \(error).")
            }
        }
    }

    /// The result if its data is valid; else without the invalid optional values, or
    /// `extraction_incomplete` for invalid required ones.
    static func checked(_ result: ExtractionResult, against schema: ExtractionSchema) throws(ExtractionError) -> ExtractionResult {
        var data = result.data
        guard case .object = data else { throw .internalError("The extractor did not produce an object.") }
        for _ in 0..<16 {
            let violations = SchemaValidator.violations(of: data, against: schema.root)
            if violations.isEmpty {
                let sources = result.sources.filter { data.value(at: JSONPointer.tokens($0.path)) != nil }
                return ExtractionResult(data: data, sources: sources)
            }
            var missing: [String] = []
            for violation in violations {
                if let removable = removablePath(violation.path, in: schema.root) {
                    data = data.removing(removable)
                } else {
                    missing.append(violation.path)
                }
            }
            if !missing.isEmpty { throw .incomplete(missing) }
        }
        throw .internalError("The extracted data could not be made valid.")
    }

    /// The deepest optional member or array item at or above a path.
    static func removablePath(_ path: String, in root: SchemaNode) -> [String]? {
        let tokens = JSONPointer.tokens(path)
        var node: SchemaNode? = root
        var removable: Int?
        for (depth, token) in tokens.enumerated() {
            guard let current = node else {
                // Beyond the schema (an additional property): remove it.
                return Array(tokens.prefix(depth))
            }
            if let property = current.properties.first(where: { $0.name == token }) {
                if !property.isRequired { removable = depth }
                node = property.schema
            } else if let items = current.items, Int(token) != nil {
                removable = depth
                node = items
            } else {
                return Array(tokens.prefix(depth + 1))
            }
        }
        return removable.map { Array(tokens.prefix($0 + 1)) }
    }
}
