/// The answer of `GET /v1/search` (and `rag search --json`).
public struct SearchResponse: Encodable, Sendable {
    public var query: String
    public var tookMs: Double
    public var hits: [SearchHit]

    public init(query: String, tookMs: Double, hits: [SearchHit]) {
        self.query = query
        self.tookMs = tookMs
        self.hits = hits
    }

    enum CodingKeys: String, CodingKey {
        case query
        case tookMs = "took_ms"
        case hits
    }
}
