import Foundation
import Testing
import RAGTestSupport

@Suite("rag extract, run as a user would")
struct ExtractCLITests {
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures/extract")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Python's jsonschema as the independent check of what the command printed.
    static func expectValid(_ data: Any, schema path: String) throws {
        let errors = try IndependentValidator.errors(
            data: try JSONSerialization.data(withJSONObject: data, options: [.fragmentsAllowed]),
            schema: try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(errors.isEmpty, "\(errors)")
    }

    @Test("--file picks the format by extension and prints {data, sources}", arguments: [
        ("event-announcement", "event-announcement.txt", "/organiser_email", "hello@lakeside-swift.example.org"),
        ("staff-directory", "staff-directory.html", "/staff/4/email", "meiling.zhou@halvorsen-institute.example.org"),
        ("docbook-article", "docbook-article.xml", "/pubdate", "2026-02-17"),
    ])
    func file(_ name: String, _ input: String, _ path: String, _ expected: String) throws {
        let schema = Self.fixture("\(name).schema.json")
        let result = try CLI.run(["extract", "--schema", schema, "--file", Self.fixture(input)])
        #expect(result.status == 0, "\(result.output)")
        let answer = try Self.json(result.stdout)
        #expect(Set(answer.keys) == ["data", "sources"])
        var value: Any? = answer["data"]
        for token in path.split(separator: "/") {
            if let object = value as? [String: Any] { value = object[String(token)] } else if let array = value as? [Any] { value = array[Int(token)!] }
        }
        #expect(value as? String == expected)
        #expect((answer["sources"] as? [[String: Any]])?.isEmpty == false)
        try Self.expectValid(answer["data"]!, schema: schema)
    }

    @Test("--text and --query (through --db, citing passages)")
    func textAndQuery() throws {
        let folder = try TemporaryFolder()
        let schema = try folder.write(
            "schema.json",
            #"{"type":"object","required":["email"],"properties":{"email":{"type":"string","format":"email","description":"Organiser email"},"date":{"type":"string","format":"date","description":"event date"}}}"#)
        let unused = folder.file("unused.sqlite")
        let text = try CLI.run(
            ["extract", "--schema", schema, "--text", "Date: 12 March 2026\nOrganiser email: hi@example.org", "--db", unused])
        #expect(text.status == 0, "\(text.output)")
        let answer = try Self.json(text.stdout)
        #expect(answer["data"] as? [String: String] == ["email": "hi@example.org", "date": "2026-03-12"])
        try Self.expectValid(answer["data"]!, schema: schema)
        // Text and files never open (or create) an index.
        #expect(!FileManager.default.fileExists(atPath: unused))

        try folder.write("docs/meetup.txt", try String(contentsOfFile: Self.fixture("event-announcement.txt"), encoding: .utf8))
        let db = folder.file("index.sqlite")
        #expect(try CLI.run(["ingest", folder.file("docs"), "--db", db]).status == 0)
        let query = try CLI.run(["extract", "--schema", schema, "--query", "Lakeside Swift meetup organiser email", "--db", db])
        #expect(query.status == 0, "\(query.output)")
        let found = try Self.json(query.stdout)
        #expect((found["data"] as? [String: Any])?["email"] as? String == "hello@lakeside-swift.example.org")
        try Self.expectValid(found["data"]!, schema: schema)
        let sources = found["sources"] as? [[String: Any]] ?? []
        #expect(!sources.isEmpty)
        #expect(sources.allSatisfy { $0["doc_id"] as? String == "meetup.txt" && ($0["passage_id"] as? String)?.hasPrefix("meetup.txt#") == true })
        let stored = try CLI.run(["extract", "--schema", schema, "--doc-id", "meetup.txt", "--db", db])
        #expect(stored.status == 0, "\(stored.output)")
    }

    @Test("Failures print the error JSON and exit 1")
    func failures() throws {
        let incomplete = try CLI.run(["extract", "--schema", Self.fixture("incomplete.schema.json"), "--file", Self.fixture("product-page.html")])
        #expect(incomplete.status == 1)
        let error = try Self.json(incomplete.stdout)["error"] as? [String: Any]
        #expect(error?["code"] as? String == "extraction_incomplete")
        #expect(error?["missing"] as? [String] == ["/warranty_years"])

        let folder = try TemporaryFolder()
        let pattern = try folder.write("pattern.json", #"{"type":"object","properties":{"a":{"type":"string","pattern":"x"}}}"#)
        let unsupported = try CLI.run(["extract", "--schema", pattern, "--text", "A: x"])
        #expect(unsupported.status == 1)
        let unsupportedError = try Self.json(unsupported.stdout)["error"] as? [String: Any]
        #expect(unsupportedError?["code"] as? String == "unsupported_schema")
        #expect(unsupportedError?["path"] as? String == "/properties/a/pattern")

        let two = try CLI.run(["extract", "--schema", pattern, "--text", "a", "--query", "b"])
        #expect(two.status == 1)
        #expect((try Self.json(two.stdout)["error"] as? [String: Any])?["code"] as? String == "validation_failed")
        let none = try CLI.run(["extract", "--schema", pattern])
        #expect(none.status == 1)

        let notJSON = try folder.write("bad.json", "{")
        let invalid = try CLI.run(["extract", "--schema", notJSON, "--text", "a"])
        #expect(invalid.status == 1)
        #expect((try Self.json(invalid.stdout)["error"] as? [String: Any])?["code"] as? String == "invalid_json")

        let plain = try folder.write("plain.json", #"{"type":"object","properties":{"a":{"type":"string"}}}"#)
        let unknown = try CLI.run(["extract", "--schema", plain, "--doc-id", "nope", "--db", folder.file("index.sqlite")])
        #expect(unknown.status == 1)
        #expect((try Self.json(unknown.stdout)["error"] as? [String: Any])?["code"] as? String == "not_found")

        let help = try CLI.run(["extract", "--help"])
        #expect(help.stdout.contains("--schema") && help.stdout.contains("--query") && help.stdout.contains("--db"))
    }
}
