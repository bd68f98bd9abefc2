import Foundation
import Testing
import RAGTestSupport

@testable import RAGCore

@Suite("Extraction over realistic documents")
struct ExtractionFixtureTests {
    static let fixtures: [(name: String, input: String, kind: ContentSegment.Kind)] = [
        ("product-page", "product-page.html", .html),
        ("staff-directory", "staff-directory.html", .html),
        ("contact-zh", "contact-zh.html", .html),
        ("event-announcement", "event-announcement.txt", .text),
        ("docbook-article", "docbook-article.xml", .xml),
    ]

    static func extract(_ input: String, kind: ContentSegment.Kind, schema: String) throws -> ExtractionResult {
        let schema = try ExtractionSchema(try ExtractionFixture.json(schema))
        let segment = ContentSegment(kind: kind, content: try ExtractionFixture.text(input))
        let result = try RuleExtractor().fill(ExtractionInput(schema: schema, segments: [segment]))
        return try ExtractionService.checked(result, against: schema)
    }

    @Test("Each fixture gives its expected values, valid against its schema", arguments: 0..<5)
    func fixture(_ n: Int) throws {
        let fixture = Self.fixtures[n]
        let result = try Self.extract(fixture.input, kind: fixture.kind, schema: "\(fixture.name).schema.json")
        ExtractionFixture.expectMatches(
            result.data, expected: try ExtractionFixture.json("\(fixture.name).expected.json"), fixture.name)
        IndependentValidator.expectValid(result.data, try ExtractionFixture.json("\(fixture.name).schema.json"), fixture.name)
        // Every value says where it came from.
        #expect(!result.sources.isEmpty)
        for source in result.sources {
            #expect(result.data.value(at: JSONPointer.tokens(source.path)) != nil, "\(source.path)")
            #expect(!source.snippet.isEmpty)
        }
    }
}
