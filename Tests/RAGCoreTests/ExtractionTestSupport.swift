import Foundation
import Testing
import RAGTestSupport

@testable import RAGCore

/// The shared independent validator, for `JSONValue`s.
extension IndependentValidator {
    static func errors(data: JSONValue, schema: JSONValue) throws -> [String] {
        try errors(data: try JSONCoding.data(data), schema: try JSONCoding.data(schema))
    }

    /// Records an issue for each way `data` fails `schema`.
    static func expectValid(_ data: JSONValue, _ schema: JSONValue, _ name: String) {
        do {
            let errors = try errors(data: data, schema: schema)
            #expect(errors.isEmpty, "\(name): \(errors)")
        } catch {
            Issue.record("\(name): \(error)")
        }
    }
}

/// The fixtures in Tests/Fixtures/extract: inputs, schemas and what must be extracted.
enum ExtractionFixture {
    static let folder = repositoryRoot.appendingPathComponent("Tests/Fixtures/extract")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
    }

    static func json(_ name: String) throws -> JSONValue {
        try #require(JSONValue.parse(Array(try Data(contentsOf: folder.appendingPathComponent(name)))))
    }

    /// Asserts every `must_equal` (numbers by value) and `must_exist` pointer of an
    /// expectation file.
    static func expectMatches(_ data: JSONValue, expected: JSONValue, _ name: String) {
        for (pointer, value) in expected["must_equal"]?.objectValue ?? [:] {
            let actual = data.value(at: JSONPointer.tokens(pointer))
            #expect(actual == value, "\(name) \(pointer): expected \(value), got \(String(describing: actual))")
        }
        for pointer in expected["must_exist"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            #expect(data.value(at: JSONPointer.tokens(pointer)) != nil, "\(name) \(pointer) is missing")
        }
    }
}
