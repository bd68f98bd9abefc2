import Foundation
import Testing

@testable import RAGCore

/// An independent check of answers: Python's `jsonschema` (Draft 2020-12 with its format
/// checker), not the service's own validator. The interpreter is `RAG_TEST_PYTHON` or
/// `python3`; without `jsonschema[format]` the check fails with a clear message.
enum IndependentValidator {
    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    static let script = """
        import json, sys
        try:
            from jsonschema import Draft202012Validator
        except ImportError as error:
            print("the Python package jsonschema is not installed (pip install 'jsonschema[format]'): %s" % error)
            sys.exit(3)
        checker = Draft202012Validator.FORMAT_CHECKER
        missing = [f for f in ("date", "date-time", "email", "uri") if f not in checker.checkers]
        if missing:
            print("jsonschema cannot check the formats %s; pip install 'jsonschema[format]'" % ", ".join(missing))
            sys.exit(4)
        with open(sys.argv[1], encoding="utf-8") as f:
            payload = json.load(f)
        Draft202012Validator.check_schema(payload["schema"])
        validator = Draft202012Validator(payload["schema"], format_checker=checker)
        errors = ["/" + "/".join(str(p) for p in e.absolute_path) + ": " + e.message for e in validator.iter_errors(payload["data"])]
        print(json.dumps(errors))
        """

    /// The ways `data` fails `schema`; empty when it is valid.
    static func errors(data: JSONValue, schema: JSONValue) throws -> [String] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rag-validate-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try JSONCoding.data(JSONValue.object(["schema": schema, "data": data])).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [ProcessInfo.processInfo.environment["RAG_TEST_PYTHON"] ?? "python3", "-c", script, file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: bytes, as: UTF8.self)
        guard process.terminationStatus == 0, let errors = try? JSONDecoder().decode([String].self, from: bytes) else {
            throw Unavailable(description: "the independent validator did not run: \(text)")
        }
        return errors
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
