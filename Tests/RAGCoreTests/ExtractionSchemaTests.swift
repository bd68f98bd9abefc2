import Foundation
import Testing

@testable import RAGCore

@Suite("Extraction schemas and requests")
struct ExtractionSchemaTests {
    static func json(_ text: String) -> JSONValue { JSONValue.parse(Array(text.utf8))! }

    static func schemaError(_ text: String) -> ExtractionError? {
        #expect(throws: ExtractionError.self) { try ExtractionSchema(json(text)) }
    }

    @Test(
        "An unsupported keyword or format is unsupported_schema with the keyword and its path",
        arguments: [
            (#"{"type":"object","properties":{"name":{"type":"string","pattern":"^[A-Z]"}}}"#, "pattern", "/properties/name/pattern"),
            (#"{"type":"object","oneOf":[]}"#, "oneOf", "/oneOf"),
            (##"{"type":"object","$ref":"#/x"}"##, "$ref", "/$ref"),
            (#"{"type":"object","properties":{"tags":{"type":"array","items":{"type":"string","minLength":1}}}}"#, "minLength", "/properties/tags/items/minLength"),
            (#"{"type":"object","properties":{"ip":{"type":"string","format":"ipv4"}}}"#, "format", "/properties/ip/format"),
            (#"{"type":"object","additionalProperties":{"type":"string"}}"#, "additionalProperties", "/additionalProperties"),
            (#"{"type":"object","properties":{"a/b":{"default":1},"c~d":{}}}"#, "default", "/properties/a~1b/default"),
        ])
    func unsupported(_ schema: String, _ keyword: String, _ path: String) {
        let error = Self.schemaError(schema)
        #expect(error?.code == "unsupported_schema")
        #expect(error?.status == 422)
        #expect(error?.extra["keyword"] == .string(keyword))
        #expect(error?.extra["path"] == .string(path))
    }

    @Test(
        "A malformed schema is validation_failed with the path of the problem",
        arguments: [
            (#"{"type":"object","properties":{"x":{"type":5}}}"#, "/properties/x/type"),
            (#"{"type":"object","properties":{"x":{"type":"strin"}}}"#, "/properties/x/type"),
            (#"{"type":"object","properties":{"x":{"type":["string",7]}}}"#, "/properties/x/type/1"),
            (#"{"type":"object","properties":{"x":{"type":[]}}}"#, "/properties/x/type"),
            (#"{"type":"object","properties":{"x":{"type":"string"}},"required":"x"}"#, "/required"),
            (#"{"type":"object","properties":{"x":{"type":"string"}},"required":["x","y"]}"#, "/required/1"),
            (#"{"type":"object","properties":[]}"#, "/properties"),
            (#"{"type":"object","properties":{"x":true}}"#, "/properties/x"),
            (#"{"type":"object","properties":{"n":{"type":"integer","minimum":10,"maximum":1}}}"#, "/properties/n/minimum"),
            (#"{"type":"object","properties":{"n":{"type":"integer","minimum":"1"}}}"#, "/properties/n/minimum"),
            (#"{"type":"object","properties":{"e":{"enum":[]}}}"#, "/properties/e/enum"),
            (#"{"type":"object","properties":{"a":{"type":"array","items":[{"type":"string"}]}}}"#, "/properties/a/items"),
            (#"{"type":"object","properties":{"d":{"type":"string","description":3}}}"#, "/properties/d/description"),
            (#"{"type":"object","additionalProperties":"no"}"#, "/additionalProperties"),
            (#"{"type":"array","items":{"type":"string"}}"#, "/type"),
            (#"{"type":"string"}"#, "/type"),
            (#"[1,2]"#, ""),
            (#""object""#, ""),
        ])
    func malformed(_ schema: String, _ path: String) {
        let error = Self.schemaError(schema)
        #expect(error?.code == "validation_failed")
        #expect(error?.status == 422)
        #expect(error?.extra["path"] == .string(path))
    }

    @Test("The supported subset is accepted, with $schema and title")
    func accepted() throws {
        let schema = try ExtractionSchema(
            Self.json(
                #"""
                {"$schema":"https://json-schema.org/draft/2020-12/schema","title":"T","type":"object","additionalProperties":false,
                 "required":["a"],"properties":{"a":{"type":["string","null"],"format":"date","description":"d"},
                 "b":{"type":"array","items":{"type":"object","properties":{"c":{"type":"integer","minimum":0,"maximum":9}}}},
                 "e":{"enum":["x","y"]},"f":{"type":"boolean"},"g":{"type":"number"},"h":{"type":"null"}}}
                """#))
        #expect(schema.root.properties.map(\.name) == ["a", "b", "e", "f", "g", "h"])
        #expect(schema.root.properties[0].isRequired)
        #expect(schema.root.properties[0].schema.allowsNull)
        #expect(schema.root.properties[1].schema.items?.properties.first?.schema.maximum == 9)
        #expect(schema.root.additionalProperties == false)
    }

    @Test("A request needs exactly one source; ill-typed fields are bad requests")
    func requests() {
        let schema: JSONValue = .object(["type": .string("object")])
        func error(_ members: [String: JSONValue]) -> ExtractionError? {
            #expect(throws: ExtractionError.self) { try ExtractionRequest(json: .object(members), maxQuery: 20) }
        }
        #expect(error(["schema": schema])?.code == "validation_failed")
        #expect(error(["schema": schema, "text": .string("a"), "html": .string("<p>b</p>")])?.code == "validation_failed")
        #expect(error(["schema": schema, "text": .string("a"), "query": .string("b"), "doc_id": .string("c")])?.status == 422)
        #expect(error(["schema": schema, "text": .string("   ")])?.code == "validation_failed")
        #expect(error(["schema": schema, "query": .string(String(repeating: "q", count: 21))])?.code == "validation_failed")
        #expect(error(["schema": schema, "text": .number(5)])?.code == "bad_request")
        #expect(error(["schema": schema, "text": .string("a"), "instruction": .bool(true)])?.code == "bad_request")
        #expect(error(["text": .string("a")])?.code == "bad_request")
        #expect(error(["schema": .string("x"), "text": .string("a")])?.code == "validation_failed")
        #expect(throws: Never.self) {
            let request = try ExtractionRequest(
                json: .object(["schema": schema, "doc_id": .string("a/b"), "text": .null, "instruction": .string("be brief")]))
            #expect(request.source == .document(id: "a/b"))
            #expect(request.instruction == "be brief")
        }
    }

    @Test("The validator checks types, enums, formats, bounds, required and additional properties")
    func validator() throws {
        let schema = try ExtractionSchema(
            Self.json(
                #"""
                {"type":"object","additionalProperties":false,"required":["n"],"properties":{
                 "n":{"type":"integer","minimum":1,"maximum":5},"d":{"type":"string","format":"date"},
                 "t":{"type":"string","format":"date-time"},"e":{"type":"string","format":"email"},
                 "u":{"type":"string","format":"uri"},"k":{"enum":["a","b"]},
                 "l":{"type":"array","items":{"type":"number"}}}}
                """#))
        func paths(_ data: String) -> [String] {
            SchemaValidator.violations(of: Self.json(data), against: schema.root).map(\.path)
        }
        #expect(paths(#"{"n":3,"d":"2024-02-29","t":"2026-03-20T09:15:00Z","e":"a@b.co","u":"https://x.org/a%20b","k":"a","l":[1,2.5]}"#) == [])
        #expect(paths(#"{"n":3.5}"#) == ["/n"])
        #expect(paths(#"{"n":9}"#) == ["/n"])
        #expect(paths(#"{}"#) == ["/n"])
        #expect(paths(#"{"n":1,"x":1}"#) == ["/x"])
        #expect(paths(#"{"n":1,"d":"2023-02-29"}"#) == ["/d"])
        #expect(paths(#"{"n":1,"t":"2026-03-20T09:15:00"}"#) == ["/t"])
        #expect(paths(#"{"n":1,"t":"2026-03-20 09:15:00Z"}"#) == ["/t"])
        #expect(paths(#"{"n":1,"e":"not an email"}"#) == ["/e"])
        #expect(paths(#"{"n":1,"u":"/relative/path"}"#) == ["/u"])
        #expect(paths(#"{"n":1,"u":"https://x.org/é"}"#) == ["/u"])
        #expect(paths(#"{"n":1,"k":"c"}"#) == ["/k"])
        #expect(paths(#"{"n":1,"l":[1,"2"]}"#) == ["/l/1"])
    }

    @Test("Invalid optional values are dropped before sending; invalid required ones are incomplete")
    func repair() throws {
        let schema = try ExtractionSchema(
            Self.json(
                #"""
                {"type":"object","required":["a","o"],"properties":{"a":{"type":"string"},"b":{"type":"integer"},
                 "o":{"type":"object","required":["x"],"properties":{"x":{"type":"string"},"y":{"type":"string","format":"email"}}},
                 "l":{"type":"array","items":{"type":"string","format":"date"}}}}
                """#))
        let data = Self.json(#"{"a":"ok","b":"seven","o":{"x":"fine","y":"nope"},"l":["2026-01-01","soon"]}"#)
        let sources = ["/a", "/b", "/o/x", "/o/y", "/l/0", "/l/1"].map { SourceReference(path: $0, snippet: "s") }
        let repaired = try ExtractionService.checked(ExtractionResult(data: data, sources: sources), against: schema)
        #expect(repaired.data == Self.json(#"{"a":"ok","o":{"x":"fine"},"l":["2026-01-01"]}"#))
        #expect(repaired.sources.map(\.path) == ["/a", "/o/x", "/l/0"])

        let broken = Self.json(#"{"a":5,"o":{"x":"fine"}}"#)
        let error = #expect(throws: ExtractionError.self) {
            try ExtractionService.checked(ExtractionResult(data: broken, sources: []), against: schema)
        }
        #expect(error?.code == "extraction_incomplete")
        #expect(error?.extra["missing"] == .array([.string("/a")]))
    }

    @Test("JSON Pointers escape ~ and /")
    func pointers() {
        #expect(JSONPointer.appending("/a", "b/c~d") == "/a/b~1c~0d")
        #expect(JSONPointer.tokens("/a/b~1c~0d/0") == ["a", "b/c~d", "0"])
        let value: JSONValue = .object(["b/c": .array([.string("x")])])
        #expect(value.value(at: JSONPointer.tokens("/b~1c/0")) == .string("x"))
    }
}
