import Foundation
import RAGCore
import Testing
import RAGTestSupport

@Suite("Structured extraction over HTTP")
struct ExtractAPITests {
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures/extract")

    static func fixture(_ name: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
    }

    static func fixtureJSON(_ name: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    static func value(_ any: Any) throws -> JSONValue {
        try #require(JSONValue.parse(Array(try JSONSerialization.data(withJSONObject: any, options: [.fragmentsAllowed]))))
    }

    /// A 200 answer's `data`, checked against its schema by Python's jsonschema.
    static func expectValid(_ response: HTTPResult, schema: Any, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        #expect(response.status == 200, "\(response.text)", sourceLocation: sourceLocation)
        #expect(response.mediaType == "application/json", sourceLocation: sourceLocation)
        let data = try #require(JSONValue.parse(response.body)?["data"], sourceLocation: sourceLocation)
        let errors = try await IndependentValidator.errors(data: data, schema: try value(schema))
        #expect(errors.isEmpty, "\(errors)", sourceLocation: sourceLocation)
    }

    static func pointer(_ response: HTTPResult, _ path: String) -> JSONValue? {
        var tokens: [String] = []
        if path.hasPrefix("/") {
            tokens = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
                $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            }
        }
        var current = JSONValue.parse(response.body)?["data"]
        for token in tokens {
            switch current {
            case .object(let members)?: current = members[token]
            case .array(let items)?: current = Int(token).flatMap { items.indices.contains($0) ? items[$0] : nil }
            default: current = nil
            }
        }
        return current
    }

    static func sources(_ response: HTTPResult) -> [[String: Any]] {
        response.object["sources"] as? [[String: Any]] ?? []
    }

    static func expectError(
        _ response: HTTPResult, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
        #expect(response.errorCode == code, "\(response.text)", sourceLocation: sourceLocation)
        #expect(response.mediaType == "application/json", sourceLocation: sourceLocation)
    }

    static func error(_ response: HTTPResult) -> [String: Any] { response.object["error"] as? [String: Any] ?? [:] }

    @Test("text: the event announcement, answered as JSON even when the client asks for an event stream")
    func textSource() async throws {
        let server = try await TestServer()
        let schema = try Self.fixtureJSON("event-announcement.schema.json")
        let body: [String: Any] = ["schema": schema, "text": try Self.fixture("event-announcement.txt")]
        let response = try await server.request(
            "POST", "/v1/extract", headers: [("Accept", "text/event-stream")], json: body)
        try await Self.expectValid(response, schema: schema)
        #expect(Self.pointer(response, "/organiser_email") == .string("hello@lakeside-swift.example.org"))
        #expect(Self.pointer(response, "/talks/3/speaker") == .string("Oluwaseun Adeyemi"))
        let paths = Self.sources(response).compactMap { $0["path"] as? String }
        #expect(paths.contains("/date") && paths.contains("/talks/0/speaker"))
        #expect(Self.sources(response).allSatisfy { $0["doc_id"] == nil && ($0["snippet"] as? String)?.isEmpty == false })
    }

    @Test("html: the product page, with every expected value")
    func htmlSource() async throws {
        let server = try await TestServer()
        let schema = try Self.fixtureJSON("product-page.schema.json")
        let response = try await server.request(
            "POST", "/v1/extract", json: ["schema": schema, "html": try Self.fixture("product-page.html"), "instruction": "ignored"])
        try await Self.expectValid(response, schema: schema)
        let expected = try Self.value(try Self.fixtureJSON("product-page.expected.json"))
        for (path, value) in expected["must_equal"]?.objectValue ?? [:] {
            #expect(Self.pointer(response, path) == value, "\(path)")
        }
        for path in expected["must_exist"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            #expect(Self.pointer(response, path) != nil, "\(path)")
        }
    }

    @Test("doc_id: a stored HTML page and a stored DocBook article, cited by id; an unknown id is 404")
    func documentSource() async throws {
        let server = try await TestServer()
        let put = try await server.request(
            "PUT", "/v1/documents/" + encoded("site/contact-zh.html"), headers: [("Content-Type", "text/html; charset=utf-8")],
            body: Array(try Self.fixture("contact-zh.html").utf8))
        #expect(put.status == 201, "\(put.text)")
        let schema = try Self.fixtureJSON("contact-zh.schema.json")
        let response = try await server.request("POST", "/v1/extract", json: ["schema": schema, "doc_id": "site/contact-zh.html"])
        try await Self.expectValid(response, schema: schema)
        #expect(Self.pointer(response, "/founded") == .string("2009-06-18"))
        #expect(Self.pointer(response, "/employees") == .number(350))
        #expect(Self.pointer(response, "/branches/2/city") == .string("成都"))
        #expect(!Self.sources(response).isEmpty)
        #expect(Self.sources(response).allSatisfy { $0["doc_id"] as? String == "site/contact-zh.html" })

        let post = try await server.request(
            "POST", "/v1/documents",
            json: ["documents": [["id": "articles/hybrid.xml", "format": "xml", "content": try Self.fixture("docbook-article.xml")]]])
        #expect(post.status == 200, "\(post.text)")
        let docbook = try Self.fixtureJSON("docbook-article.schema.json")
        let article = try await server.request("POST", "/v1/extract", json: ["schema": docbook, "doc_id": "articles/hybrid.xml"])
        try await Self.expectValid(article, schema: docbook)
        #expect(Self.pointer(article, "/keywords/4") == .string("BM25"))
        #expect(Self.pointer(article, "/author/surname") == .string("Marchetti-Okoro"))

        let missing = try await server.request("POST", "/v1/extract", json: ["schema": docbook, "doc_id": "no/such.xml"])
        Self.expectError(missing, 404, "not_found")
    }

    @Test("query: the best passages are read, and each value cites its document and passage")
    func querySource() async throws {
        let server = try await TestServer()
        let post = try await server.request(
            "POST", "/v1/documents",
            json: ["documents": [["id": "events/meetup-27.txt", "format": "text", "content": try Self.fixture("event-announcement.txt")]]])
        #expect(post.status == 200)
        let schema: [String: Any] = [
            "type": "object", "required": ["organiser_email", "registration_url"],
            "properties": [
                "organiser_email": ["type": "string", "format": "email", "description": "Organiser email"],
                "registration_url": ["type": "string", "format": "uri", "description": "Registration link"],
                "date": ["type": "string", "format": "date", "description": "event date"],
                "venue": ["type": "string", "description": "Venue"],
            ],
        ]
        let response = try await server.request(
            "POST", "/v1/extract", json: ["schema": schema, "query": "Lakeside Swift meetup registration organiser venue"])
        try await Self.expectValid(response, schema: schema)
        #expect(Self.pointer(response, "/organiser_email") == .string("hello@lakeside-swift.example.org"))
        #expect(Self.pointer(response, "/registration_url") == .string("https://lakeside-swift.example.org/events/27/register"))
        #expect(Self.pointer(response, "/date") == .string("2026-03-12"))
        #expect(Self.pointer(response, "/venue") == .string("Brightwater Coworking, 3rd floor"))
        let sources = Self.sources(response)
        #expect(!sources.isEmpty)
        for source in sources {
            #expect(source["doc_id"] as? String == "events/meetup-27.txt")
            #expect((source["passage_id"] as? String)?.hasPrefix("events/meetup-27.txt#") == true)
        }
        // A query the index knows nothing about finds nothing to fill the required fields with.
        let nothing = try await server.request("POST", "/v1/extract", json: ["schema": schema, "query": "zyxwvut qqqq"])
        Self.expectError(nothing, 422, "extraction_incomplete")
    }

    @Test("422s: sources, unsupported keywords, malformed schemas, missing required values")
    func unprocessable() async throws {
        let server = try await TestServer()
        let schema: [String: Any] = ["type": "object", "properties": ["name": ["type": "string"]]]
        Self.expectError(try await server.request("POST", "/v1/extract", json: ["schema": schema]), 422, "validation_failed")
        Self.expectError(
            try await server.request("POST", "/v1/extract", json: ["schema": schema, "text": "a", "html": "<p>b</p>"]), 422,
            "validation_failed")
        Self.expectError(try await server.request("POST", "/v1/extract", json: ["schema": schema, "text": ""]), 422, "validation_failed")

        let pattern: [String: Any] = ["type": "object", "properties": ["name": ["type": "string", "pattern": "^A"]]]
        let unsupported = try await server.request("POST", "/v1/extract", json: ["schema": pattern, "text": "Name: Ann"])
        Self.expectError(unsupported, 422, "unsupported_schema")
        #expect(Self.error(unsupported)["keyword"] as? String == "pattern")
        #expect(Self.error(unsupported)["path"] as? String == "/properties/name/pattern")
        let format: [String: Any] = ["type": "object", "properties": ["ip": ["type": "string", "format": "ipv4"]]]
        let badFormat = try await server.request("POST", "/v1/extract", json: ["schema": format, "text": "x"])
        Self.expectError(badFormat, 422, "unsupported_schema")
        #expect(Self.error(badFormat)["path"] as? String == "/properties/ip/format")

        let malformed: [String: Any] = ["type": "object", "properties": ["age": ["type": 5]]]
        let bad = try await server.request("POST", "/v1/extract", json: ["schema": malformed, "text": "Age: 4"])
        Self.expectError(bad, 422, "validation_failed")
        #expect(Self.error(bad)["path"] as? String == "/properties/age/type")
        let required: [String: Any] = ["type": "object", "properties": ["a": ["type": "string"]], "required": ["b"]]
        let notProperty = try await server.request("POST", "/v1/extract", json: ["schema": required, "text": "A: 1"])
        Self.expectError(notProperty, 422, "validation_failed")
        #expect(Self.error(notProperty)["path"] as? String == "/required/0")
        let root = try await server.request("POST", "/v1/extract", json: ["schema": ["type": "array"], "text": "x"])
        Self.expectError(root, 422, "validation_failed")
        #expect(Self.error(root)["path"] as? String == "/type")

        let incomplete = try await server.request(
            "POST", "/v1/extract",
            json: ["schema": try Self.fixtureJSON("incomplete.schema.json"), "html": try Self.fixture("product-page.html")])
        Self.expectError(incomplete, 422, "extraction_incomplete")
        #expect(Self.error(incomplete)["missing"] as? [String] == ["/warranty_years"])
    }

    @Test("The shared body rules: 400 for bad JSON and ill-typed fields, 413 past the limit, 415 for other media types, 405 for GET")
    func bodyRules() async throws {
        let server = try await TestServer { $0.maxBody = 4096 }
        let schema: [String: Any] = ["type": "object", "properties": ["name": ["type": "string"]]]
        Self.expectError(
            try await server.request("POST", "/v1/extract", headers: [("Content-Type", "application/json")], body: Array("{\"schema\":".utf8)),
            400, "invalid_json")
        Self.expectError(try await server.request("POST", "/v1/extract", json: ["schema": schema, "text": 5]), 400, "bad_request")
        Self.expectError(try await server.request("POST", "/v1/extract", json: ["text": "Name: Ann"]), 400, "bad_request")
        Self.expectError(try await server.request("POST", "/v1/extract", json: ["schema", "text"]), 400, "bad_request")
        Self.expectError(
            try await server.request("POST", "/v1/extract", json: ["schema": schema, "text": String(repeating: "x", count: 5000)]),
            413, "payload_too_large")
        Self.expectError(
            try await server.request("POST", "/v1/extract", headers: [("Content-Type", "text/plain")], body: Array("Name: Ann".utf8)),
            415, "unsupported_media_type")
        Self.expectError(try await server.request("GET", "/v1/extract"), 405, "method_not_allowed")
        Self.expectError(try await server.request("GET", "/v1/extract/batch"), 405, "method_not_allowed")
        Self.expectError(
            try await server.request("POST", "/v1/extract/batch", json: ["items": Array(repeating: ["schema": schema, "text": "a"], count: 101)]),
            413, "payload_too_large")
    }

    @Test("Batch: all results in order, or batch_failed with the failing item's index and error and no results")
    func batch() async throws {
        let server = try await TestServer()
        let event = try Self.fixtureJSON("event-announcement.schema.json")
        let staff = try Self.fixtureJSON("staff-directory.schema.json")
        let items: [[String: Any]] = [
            ["schema": event, "text": try Self.fixture("event-announcement.txt")],
            ["schema": staff, "html": try Self.fixture("staff-directory.html")],
        ]
        let ok = try await server.request("POST", "/v1/extract/batch", headers: [("Accept", "text/event-stream")], json: ["items": items])
        #expect(ok.status == 200, "\(ok.text)")
        #expect(ok.mediaType == "application/json")
        let results = try #require(JSONValue.parse(ok.body)?["results"]?.arrayValue)
        #expect(results.count == 2)
        #expect(results.first?["data"]?["date"] == .string("2026-03-12"))
        #expect(results.last?["data"]?["staff"]?.arrayValue?.count == 8)
        for (result, schema) in zip(results, [event, staff]) {
            #expect(result["sources"]?.arrayValue?.isEmpty == false)
            let errors = try await IndependentValidator.errors(data: try #require(result["data"]), schema: try Self.value(schema))
            #expect(errors.isEmpty, "\(errors)")
        }

        let failing = items + [
            ["schema": try Self.fixtureJSON("incomplete.schema.json"), "html": try Self.fixture("product-page.html")],
            ["schema": ["type": "object", "properties": ["x": ["type": "string", "pattern": "y"]]], "text": "x"],
        ]
        let failed = try await server.request("POST", "/v1/extract/batch", json: ["items": failing])
        Self.expectError(failed, 422, "batch_failed")
        #expect(failed.object["results"] == nil)
        let error = Self.error(failed)
        #expect(error["index"] as? Int == 2)
        let item = error["item"] as? [String: Any] ?? [:]
        #expect(item["code"] as? String == "extraction_incomplete")
        #expect(item["missing"] as? [String] == ["/warranty_years"])
        #expect((item["message"] as? String)?.isEmpty == false)

        let notObject = try await server.request("POST", "/v1/extract/batch", json: ["items": [items[0], "text"]])
        Self.expectError(notObject, 422, "batch_failed")
        #expect(Self.error(notObject)["index"] as? Int == 1)
        #expect((Self.error(notObject)["item"] as? [String: Any])?["code"] as? String == "bad_request")
        let unknown = try await server.request(
            "POST", "/v1/extract/batch", json: ["items": [["schema": staff, "doc_id": "nope"]]])
        #expect((Self.error(unknown)["item"] as? [String: Any])?["code"] as? String == "not_found")

        Self.expectError(try await server.request("POST", "/v1/extract/batch", json: ["items": []]), 422, "validation_failed")
        let tooMany = Array(repeating: ["schema": ["type": "object"], "text": "a"] as [String: Any], count: 101)
        Self.expectError(try await server.request("POST", "/v1/extract/batch", json: ["items": tooMany]), 422, "validation_failed")
        Self.expectError(try await server.request("POST", "/v1/extract/batch", json: ["items": "x"]), 400, "bad_request")
        Self.expectError(try await server.request("POST", "/v1/extract/batch", json: [:]), 400, "bad_request")
    }
}

extension IndependentValidator {
    /// The shared validator for `JSONValue`s, run off the test's task (it blocks).
    static func errors(data: JSONValue, schema: JSONValue) async throws -> [String] {
        let data = try JSONCoding.data(data)
        let schema = try JSONCoding.data(schema)
        return try await blocking { try errors(data: data, schema: schema) }
    }
}
