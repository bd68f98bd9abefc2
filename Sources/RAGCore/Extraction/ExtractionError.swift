/// An extraction failure in the API's error shape; `status` is the HTTP status it is
/// answered with, `extra` the members beside `code` and `message` (`path`, `keyword`,
/// `missing`, `index`, `item`).
public struct ExtractionError: Error, Sendable, Equatable {
    public var status: Int
    public var code: String
    public var message: String
    public var extra: [String: JSONValue]

    public init(status: Int, code: String, message: String, extra: [String: JSONValue] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
    }

    /// The error object (what a batch failure nests as `item`).
    public var object: JSONValue {
        var members = extra
        members["code"] = .string(code)
        members["message"] = .string(message)
        return .object(members)
    }

    /// `{"error": {...}}`, as the API and the CLI print it.
    public var json: JSONValue { .object(["error": object]) }

    static func badRequest(_ message: String) -> ExtractionError {
        ExtractionError(status: 400, code: "bad_request", message: message)
    }

    static func invalidJSON(_ message: String) -> ExtractionError {
        ExtractionError(status: 400, code: "invalid_json", message: message)
    }

    static func invalid(_ message: String, path: String? = nil) -> ExtractionError {
        ExtractionError(
            status: 422, code: "validation_failed", message: message, extra: path.map { ["path": .string($0)] } ?? [:])
    }

    static func unsupported(keyword: String, path: String, message: String) -> ExtractionError {
        ExtractionError(
            status: 422, code: "unsupported_schema", message: message,
            extra: ["keyword": .string(keyword), "path": .string(path)])
    }

    static func incomplete(_ missing: [String]) -> ExtractionError {
        let list = missing.joined(separator: ", ")
        return ExtractionError(
            status: 422, code: "extraction_incomplete",
            message: "No value could be found for the required \(missing.count == 1 ? "field" : "fields") \(list).",
            extra: ["missing": .array(missing.map { .string($0) })])
    }

    static func notFound(_ message: String) -> ExtractionError {
        ExtractionError(status: 404, code: "not_found", message: message)
    }

    static func internalError(_ message: String) -> ExtractionError {
        ExtractionError(status: 500, code: "internal_error", message: message)
    }

    static func batchFailed(index: Int, item: ExtractionError) -> ExtractionError {
        ExtractionError(
            status: 422, code: "batch_failed", message: "Item \(index) failed (\(item.code)); no results are returned.",
            extra: ["index": .number(Double(index)), "item": item.object])
    }
}
