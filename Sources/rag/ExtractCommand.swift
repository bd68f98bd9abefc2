import ArgumentParser
import Foundation
import RAGCore

struct ExtractCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Fill a JSON Schema from text, a file or the index's best passages.",
        discussion: """
            Prints the API's answer, {"data", "sources"}, as JSON. On failure (an unsupported \
            or malformed schema, a required field that cannot be found) it prints the API's \
            error JSON, {"error": {...}}, and exits with status 1.

            Give exactly one of --text, --file, --query and --doc-id. --file reads HTML, XML, \
            Markdown or text, chosen by its extension; --query and --doc-id read the index (--db).
            """
    )

    @OptionGroup var index: IndexOptions

    @Option(help: ArgumentHelp("The JSON Schema to fill.", valueName: "file"))
    var schema: String

    @Option(help: "Extract from this text.")
    var text: String?

    @Option(help: ArgumentHelp("Extract from this file (.html, .xml, .md, .txt...).", valueName: "path"))
    var file: String?

    @Option(help: "Extract from the passages the index finds best for this query.")
    var query: String?

    @Option(name: .customLong("doc-id"), help: ArgumentHelp("Extract from this stored document.", valueName: "id"))
    var docID: String?

    @Option(help: "An instruction for extractors that take one (the built-in one ignores it).")
    var instruction: String?

    func run() async throws {
        let result: ExtractionResult
        do {
            result = try await extract()
        } catch {
            print(try JSONCoding.string(error.json))
            throw ExitCode(1)
        }
        print(try JSONCoding.string(result.json))
    }

    private func extract() async throws(ExtractionError) -> ExtractionResult {
        let given: [(String, String?)] = [("--text", text), ("--file", file), ("--query", query), ("--doc-id", docID)]
        let sources = given.filter { $0.1 != nil }.map(\.0)
        guard sources.count == 1 else {
            throw ExtractionError(
                status: 422, code: "validation_failed",
                message: sources.isEmpty
                    ? "Give exactly one source: --text, --file, --query or --doc-id."
                    : "Give exactly one source, not \(sources.joined(separator: " and ")).")
        }
        let schema = try ExtractionSchema(try Self.readJSON(schema))
        let source: ExtractionRequest.Source
        if let text {
            source = .text(text)
        } else if let file {
            source = try Self.source(file: file)
        } else if let query {
            source = .query(query)
        } else {
            source = .document(id: docID ?? "")
        }
        var service = ExtractionService()
        if query != nil || docID != nil {
            let searchIndex: SearchIndex
            do {
                searchIndex = try index.open()
            } catch {
                throw ExtractionError(status: 500, code: "internal_error", message: "\(error)")
            }
            service = ExtractionService(
                index: searchIndex, retriever: Retriever(index: searchIndex, tokenizer: TextTokenizer(instances: 1)))
        }
        return try await service.extract(ExtractionRequest(schema: schema, source: source, instruction: instruction))
    }

    private static func readJSON(_ path: String) throws(ExtractionError) -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ExtractionError(status: 400, code: "bad_request", message: "The schema file \(path) cannot be read.")
        }
        guard let value = JSONValue.parse(Array(data)) else {
            throw ExtractionError(status: 400, code: "invalid_json", message: "The schema file \(path) is not valid JSON.")
        }
        return value
    }

    /// A file as its format: HTML and XHTML as HTML, XML as XML, Markdown as Markdown,
    /// anything else as text.
    private static func source(file path: String) throws(ExtractionError) -> ExtractionRequest.Source {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ExtractionError(status: 400, code: "bad_request", message: "The file \(path) cannot be read.")
        }
        let content = String(decoding: data, as: UTF8.self)
        let format = DocumentFormat(fileExtension: URL(fileURLWithPath: path).pathExtension) ?? DocumentFormat.guess(Array(data))
        switch format {
        case .html: return .html(content)
        case .xml: return .xml(content)
        case .markdown: return .markdown(content)
        case .text: return .text(content)
        }
    }
}
