import Foundation

/// An independent check of extraction answers: Python's `jsonschema` (Draft 2020-12 with
/// its format checker), not the service's own validator. The interpreter is
/// `RAG_TEST_PYTHON` or `python3`; without `jsonschema[format]` the check throws
/// ``Unavailable`` with a clear message. It blocks while Python runs.
public enum IndependentValidator {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
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

    /// The ways `data` fails `schema` (both JSON text), each as "/path: message"; empty
    /// when it is valid.
    public static func errors(data: Data, schema: Data) throws -> [String] {
        let folder = try TemporaryFolder()
        let payload = Data(#"{"schema":"#.utf8) + schema + Data(#","data":"#.utf8) + data + Data("}".utf8)
        let file = try folder.write("payload.json", bytes: Array(payload))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [ProcessInfo.processInfo.environment["RAG_TEST_PYTHON"] ?? "python3", "-c", script, file]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let errors = try? JSONDecoder().decode([String].self, from: bytes) else {
            throw Unavailable(description: "the independent validator did not run: \(String(decoding: bytes, as: UTF8.self))")
        }
        return errors
    }
}
